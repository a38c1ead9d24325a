"""`[server] request_deadline_seconds`: a request answers within it while an account stalls.

The CarrierX simulator holds its replies far longer than the deadline, and the account's own
timeout is longer still, so only the deadline can end the wait. Bounds are wide: a page cut
at a 1s deadline answers in about 1s, against a stall of 6s and a timeout of 30s.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest

from tests.support.relay import FORWARD, record_keys, walk
from tests.support.simulators import Simulated, clear_faults, control

from .accounts import deploy, expected_order

DEADLINE = 2.0
BOUND = 5.0
STALL = {"status": None, "delay": 8.0, "times": 1000}
SLOW_POLICY = {"timeout_seconds": 30, "retries": 0}
MISSED = f"carrierx account 'cx-a' did not answer within the request's deadline of {DEADLINE:g}s."


@pytest.fixture(params=[30, 0], ids=["cached", "uncached"])
async def stallable(request) -> AsyncIterator[Simulated]:
    """DIDforSale `dfs` and CarrierX `cx-a`. With the page cache on, a page asked again for
    the same position waits for the stalled call already in flight, so the account rejoins
    when that call ends; with it off, as soon as the stall is cleared."""
    deployed = await deploy(
        dfs_count=120,
        cx_counts=(120,),
        policy=SLOW_POLICY,
        cache={"ttl_seconds": request.param},
        settings={"server": {"request_deadline_seconds": DEADLINE}},
    )
    yield deployed
    await deployed.close()


def cut_off(reply: Mapping[str, Any], field: str) -> None:
    """The reply names cx-a alone as unavailable, with the deadline's message."""
    errors = [e for e in reply["errors"] if e["path"][0] == field]
    assert [(e["extensions"], e["message"]) for e in errors] == [
        ({"code": "PROVIDER_UNAVAILABLE", "provider": "cx-a"}, MISSED)
    ]


async def test_a_stalled_account_is_cut_at_the_deadline_and_the_walk_loses_nothing(stallable):
    durations: list[float] = []

    async def timed(query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        started = time.monotonic()
        reply = await stallable.gql(query, variables)
        durations.append(time.monotonic() - started)
        return reply

    async def stall_then_recover(page: int) -> None:
        if page == 0:
            await control(stallable, "cx-a", "faults", STALL)
        elif page == 1:
            await clear_faults(stallable, "cx-a")

    done = await walk(timed, FORWARD, 20, strict=False, before_each=stall_then_recover)

    first = done.pages[0]
    assert durations[0] < BOUND, f"the stalled page took {durations[0]:.1f}s"
    cut_off(first.reply, "smsRecords")
    [status] = [s for s in first.connection["providerStatus"] if s["provider"] == "cx-a"]
    assert status == {
        "provider": "cx-a",
        "ok": False,
        "code": "PROVIDER_UNAVAILABLE",
        "message": MISSED,
    }
    dfs_first = [key for key in expected_order(stallable, descending=True) if key[0] == "dfs"]
    assert record_keys(first.nodes) == dfs_first[:20], "dfs fills the page"
    assert first.info["hasNextPage"]

    seen = record_keys(done.records)
    assert [key for key, count in Counter(seen).items() if count > 1] == []
    assert sorted(seen) == sorted(expected_order(stallable))
    assert not done.pages[-1].failed, "the walk ends with every account answering"


EVERYTHING = """
query Everything($ids: [ID!]!, $one: ID!) {
  nodes(ids: $ids) { id }
  node(id: $one) { id }
  smsRecordStats(groupBy: [PROVIDER]) {
    total { count }
    complete
    providerStatus { provider ok code message }
  }
}
"""


async def test_node_nodes_and_totals_share_the_request_deadline(stallable):
    picked = await stallable.gql("{ smsRecords(first: 100) { nodes { id provider { name } } } }")
    ids = {node["provider"]["name"]: node["id"] for node in picked["data"]["smsRecords"]["nodes"]}
    await control(stallable, "cx-a", "faults", STALL)

    started = time.monotonic()
    reply = await stallable.gql(EVERYTHING, {"ids": [ids["dfs"], ids["cx-a"]], "one": ids["cx-a"]})
    elapsed = time.monotonic() - started

    assert elapsed < BOUND, f"the request took {elapsed:.1f}s"
    data = reply["data"]
    assert data["nodes"] == [{"id": ids["dfs"]}, None]
    assert data["node"] is None
    for field in ("nodes", "node", "smsRecordStats"):
        cut_off(reply, field)
    totals = data["smsRecordStats"]
    assert totals["complete"] is False
    assert totals["total"]["count"] == len(stallable.accounts.dfs["dfs"])
    assert {s["provider"]: s["code"] for s in totals["providerStatus"]} == {
        "dfs": None,
        "cx-a": "PROVIDER_UNAVAILABLE",
    }


async def test_readiness_answers_within_the_deadline_naming_the_stalled_account(stallable):
    """A readiness probe with a short timeout must get an answer while an account stalls."""
    await control(stallable, "cx-a", "faults", STALL)
    started = time.monotonic()
    async with stallable.http.get(stallable.gateway_url + "/readyz") as response:
        body = await response.json()
        status = response.status
    assert time.monotonic() - started < BOUND
    await clear_faults(stallable, "cx-a")
    assert status == 503
    assert body == {
        "status": "degraded",
        "providers": {
            "dfs": {"ok": True, "code": None, "message": None},
            "cx-a": {"ok": False, "code": "PROVIDER_UNAVAILABLE", "message": MISSED},
        },
    }
