"""Cursors over real HTTP, over three accounts (DIDforSale `dfs`, CarrierX `cx-a`, `cx-b`):
every cursor of every page of a walk fits the contract's 256 characters, whichever the
order, the direction, the filter or a failing account; a cursor altered, cut, forged, of
another query or of an earlier version of the gateway is `BAD_CURSOR`."""

import base64
import hashlib
import hmac
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from typing import Any

import pytest

from gateway.paging.cursor import CursorCodec
from tests.support.deployment import SECRET
from tests.support.graphql import Client
from tests.support.relay import BACKWARD, FORWARD, Direction, Walk, record_keys, walk
from tests.support.simulators import Simulated, outage

from .accounts import deploy, expected_order

BUDGET = 256
ACCOUNTS = ("dfs", "cx-a", "cx-b")
WAYS = [FORWARD, BACKWARD]
ORDERS = ["CREATED_AT_ASC", "CREATED_AT_DESC"]


def cursors(done: Walk) -> list[str]:
    """Every cursor the walk was handed: each edge's, and both ends of each page."""
    found = []
    for page in done.pages:
        found += [edge["cursor"] for edge in page.connection["edges"]]
        found += [page.info["startCursor"], page.info["endCursor"]]
    return [cursor for cursor in found if cursor is not None]


def codes(result: dict) -> list[str]:
    return [error["extensions"]["code"] for error in result.get("errors", [])]


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("way", WAYS, ids=["forward", "backward"])
async def test_every_cursor_of_a_walk_over_three_accounts_fits(
    deployment, way: Direction, order: str
):
    done = await walk(deployment.gql, way, 50, order=order)
    assert record_keys(done.records) == expected_order(deployment, order == ORDERS[1])
    lengths = [len(cursor) for cursor in cursors(done)]
    assert len(lengths) > 1450
    assert max(lengths) <= BUDGET


def without_hints(client: Client) -> Client:
    """A client whose cursors lose their providers' hints on the way, as a cursor over its
    budget does: re-signed with the gateway's key, positions untouched."""
    codec = CursorCodec(SECRET, ACCOUNTS)

    async def post(query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        sent = dict(variables or {})
        for key in ("after", "before"):
            if sent.get(key):
                sent[key] = codec.encode(replace(codec.decode(sent[key]), hints={}))
        return await client(query, sent)

    return post


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("way", WAYS, ids=["forward", "backward"])
async def test_a_walk_whose_cursors_lost_their_hints_still_yields_every_record_once(
    deployment, way: Direction, order: str
):
    done = await walk(without_hints(deployment.gql), way, 50, order=order)
    assert record_keys(done.records) == expected_order(deployment, order == ORDERS[1])


@pytest.mark.parametrize("way", WAYS, ids=["forward", "backward"])
async def test_every_cursor_of_a_filtered_walk_fits(deployment, way: Direction):
    narrowing = {"direction": "OUTBOUND", "statuses": ["DELIVERED", "SENT", "FAILED"]}
    done = await walk(deployment.gql, way, 20, order="CREATED_AT_ASC", filter=narrowing)
    assert done.records and all(len(c) <= BUDGET for c in cursors(done))


@pytest.fixture
async def own() -> AsyncIterator[Simulated]:
    """For a test that injects faults, which would otherwise outlive a failing test."""
    deployed = await deploy(dfs_count=160, cx_counts=(120, 60), cache={"ttl_seconds": 0})
    yield deployed
    await deployed.close()


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("way", WAYS, ids=["forward", "backward"])
@pytest.mark.parametrize("failing", ["cx-a", "dfs"])
async def test_cursors_keep_a_failing_account_behind_and_still_fit(
    own, failing: str, way: Direction, order: str
):
    done = await walk(
        own.gql, way, 13, strict=False, before_each=outage(own, failing, 2, 5), order=order
    )
    assert sum(failing in page.failed for page in done.pages) == 3
    seen = record_keys(done.records)
    assert len(seen) == len(set(seen)) and set(seen) == set(expected_order(own))
    assert max(len(cursor) for cursor in cursors(done)) <= BUDGET


PAGE = """
query Page($first: Int, $after: String, $filter: SmsRecordFilter,
           $order: SmsRecordOrder = CREATED_AT_DESC) {
  smsRecords(first: $first, after: $after, filter: $filter, orderBy: $order) {
    edges { cursor node { providerRecordId } }
    pageInfo { endCursor }
  }
}
"""


@pytest.fixture(scope="module")
async def small() -> AsyncIterator[Simulated]:
    deployed = await deploy(dfs_count=40, cx_counts=(30, 20))
    yield deployed
    await deployed.close()


async def refusal(deployment: Simulated, cursor: str, **variables) -> str:
    """The message of the one `BAD_CURSOR` error a page after `cursor` gets."""
    result = await deployment.gql(PAGE, {"first": 3, "after": cursor, **variables})
    assert result["data"] is None and codes(result) == ["BAD_CURSOR"], result
    return result["errors"][0]["message"]


async def test_altered_cut_or_forged_cursors_are_refused(small):
    first = await small.gql(PAGE, {"first": 3})
    cursor = first["data"]["smsRecords"]["pageInfo"]["endCursor"]
    middle = len(cursor) // 2
    altered = cursor[:middle] + ("A" if cursor[middle] != "A" else "B") + cursor[middle + 1 :]
    assert "altered or forged" in await refusal(small, altered)
    for cut in (cursor[:-1], cursor[:-12], cursor[:20]):
        assert await refusal(small, cut)
    genuine = CursorCodec(SECRET, ACCOUNTS).decode(cursor)
    forged = CursorCodec("a-guessed-secret-0123456789", ACCOUNTS).encode(genuine)
    assert "altered or forged" in await refusal(small, forged)


async def test_a_cursor_serves_only_its_order_and_filter(small):
    first = await small.gql(PAGE, {"first": 3, "filter": {"type": "SMS"}})
    cursor = first["data"]["smsRecords"]["pageInfo"]["endCursor"]
    assert "another `orderBy`" in await refusal(
        small, cursor, filter={"type": "SMS"}, order="CREATED_AT_ASC"
    )
    assert "another `filter`" in await refusal(small, cursor, filter={"type": "MMS"})
    assert "another `filter`" in await refusal(small, cursor)


def first_version_cursor(payload: dict) -> str:
    """A cursor as the first version of the gateway made it, signed with this gateway's key:
    base64url(`v1` | JSON) + "." + base64url(16 bytes of HMAC-SHA256)."""
    body = b"v1" + json.dumps(payload, separators=(",", ":")).encode()
    tag = hmac.new(SECRET.encode(), body, hashlib.sha256).digest()[:16]
    return ".".join(base64.urlsafe_b64encode(part).rstrip(b"=").decode() for part in (body, tag))


async def test_a_cursor_of_the_first_version_is_refused_with_a_way_out(small):
    newest = await small.gql(PAGE, {"first": 1})
    sid = newest["data"]["smsRecords"]["edges"][0]["node"]["providerRecordId"]
    old = first_version_cursor(
        {
            "o": "desc",
            "f": hashlib.sha256(b"{}").hexdigest()[:16],
            "w": ["2026-10-21T12:00:00+00:00", "2026-11-20T12:00:00+00:00"],
            "k": ["2026-11-20T11:00:00+00:00", "cx-a", sid],
            "l": {},
            "h": {"cx-a": {"o": "desc", "s": sid}},
            "t": "desc",
        }
    )
    message = await refusal(small, old)
    assert message == (
        "The cursor was made by an earlier version of the gateway; start the walk again."
    )


ORIGINAL = ("dfs", "cx-a")
ADDED = "cx-b"


@pytest.fixture(scope="module")
async def rollout() -> AsyncIterator[Simulated]:
    """Three simulators; gateway 0 is configured with `dfs` and `cx-a`, gateway 1 with the
    third account `cx-b` added, as two replicas are while that change is rolled out."""
    deployed = await deploy(
        dfs_count=160,
        cx_counts=(120, 90),
        replica_accounts=[ORIGINAL, (*ORIGINAL, ADDED)],
        cache={"ttl_seconds": 0},
    )
    yield deployed
    await deployed.close()


@pytest.mark.parametrize("order", ORDERS)
async def test_a_walk_goes_on_across_an_account_being_added(rollout, order: str):
    """Three pages on the gateway of two accounts, the rest on the one with a third account:
    no `BAD_CURSOR`, each record of the first two accounts exactly once, and the added
    account's records from the place the walk had reached on, each once (those it had passed
    are not read back)."""
    pages_before = 3
    calls = 0

    async def switching(query: str, variables: Mapping[str, Any] | None = None) -> dict:
        nonlocal calls
        calls += 1
        return await rollout.gql(query, variables, replica=int(calls > pages_before))

    done = await walk(switching, FORWARD, 40, order=order)
    seen = record_keys(done.records)
    everything = expected_order(rollout, order == ORDERS[1])
    reached = everything.index(seen[40 * pages_before - 1])
    passed = [key for key in everything[: reached + 1] if key[0] != ADDED]
    assert any(key[0] == ADDED for key in everything[:reached])
    assert seen == passed + everything[reached + 1 :]
    originals = [key for key in seen if key[0] in ORIGINAL]
    assert sorted(originals) == sorted(key for key in everything if key[0] in ORIGINAL)


async def test_a_walk_goes_on_across_an_account_being_removed_unless_it_stands_on_it(rollout):
    """Gateway 1 serves `cx-b`, gateway 0 no longer does: a cursor at a record of another
    account continues without `cx-b`; one at a record of `cx-b` cannot be placed among the
    others' records and is `BAD_CURSOR`."""
    first = await rollout.gql(PAGE_WITH_ACCOUNTS, {"first": 60}, replica=1)
    edges = first["data"]["smsRecords"]["edges"]
    keys = [(edge["node"]["provider"]["name"], edge["node"]["providerRecordId"]) for edge in edges]
    kept = max(i for i, key in enumerate(keys) if key[0] != ADDED)
    gone = max(i for i, key in enumerate(keys) if key[0] == ADDED)

    after_kept = await rollout.gql(
        PAGE_WITH_ACCOUNTS, {"first": 30, "after": edges[kept]["cursor"]}, replica=0
    )
    assert "errors" not in after_kept
    rest = [key for key in expected_order(rollout, True) if key[0] != ADDED]
    start = rest.index(keys[kept]) + 1
    assert [
        (edge["node"]["provider"]["name"], edge["node"]["providerRecordId"])
        for edge in after_kept["data"]["smsRecords"]["edges"]
    ] == rest[start : start + 30]

    refused = await rollout.gql(
        PAGE_WITH_ACCOUNTS, {"first": 30, "after": edges[gone]["cursor"]}, replica=0
    )
    assert codes(refused) == ["BAD_CURSOR"]
    assert "no longer serves" in refused["errors"][0]["message"]


PAGE_WITH_ACCOUNTS = """
query Page($first: Int, $after: String) {
  smsRecords(first: $first, after: $after) {
    edges { cursor node { provider { name } providerRecordId } }
  }
}
"""
