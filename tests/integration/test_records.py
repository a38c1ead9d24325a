"""Filters, node/nodes and the userData mutation, through the gateway over real HTTP."""

import base64
from collections.abc import AsyncIterator

import pytest

from tests.support.relay import FORWARD, record_keys, walk
from tests.support.simulators import Simulated, upstream_requests

from .accounts import cx_instant, deploy, expected_order

WALK = """
query Walk($first: Int, $after: String, $filter: SmsRecordFilter, $order: SmsRecordOrder!) {
  smsRecords(first: $first, after: $after, filter: $filter, orderBy: $order) {
    nodes { provider { name } providerRecordId direction status type from to groupRecipients }
    pageInfo { hasNextPage endCursor }
  }
}
"""
NODE = """
query Node($id: ID!) {
  node(id: $id) {
    id
    ... on SmsRecord { provider { name kind } providerRecordId createdAt userData price raw }
  }
}
"""
UPDATE = """
mutation Update($input: UpdateSmsRecordUserDataInput!) {
  updateSmsRecordUserData(input: $input) {
    smsRecord { id providerRecordId userData }
    clientMutationId
    errors { code message field }
  }
}
"""


def global_id(inside: str) -> str:
    return base64.b64encode(f"SmsRecord:{inside}".encode()).decode()


async def filtered(deployment: Simulated, record_filter: dict, order: str) -> list[tuple[str, str]]:
    done = await walk(deployment.gql, FORWARD, 13, query=WALK, filter=record_filter, order=order)
    return record_keys(done.records)


def raw_view(deployment: Simulated) -> dict[tuple[str, str], dict]:
    """Each record's filterable fields, read straight from the simulators' data."""
    view = {}
    datasets = deployment.accounts
    for row in datasets.dfs["dfs"]:
        view[("dfs", row.uuid)] = {
            "at": datasets.dfs_instant(row),
            "direction": row.direction,
            "status": row.status,
            "type": "sms",
            "numbers": {f"+{row.sender}", f"+{row.reciever}"},
        }
    for name, records in datasets.cx.items():
        for r in records:
            view[(name, r["dr_sid"])] = {
                "at": cx_instant(r),
                "direction": r["direction"],
                "status": r["status"],
                "type": r["type"],
                "numbers": {f"+{r['number_src']}", f"+{r['number_dst']}"}
                | {f"+{n}" for n in r["number_group_dst"] or []},
            }
    return view


@pytest.mark.parametrize("order", ["CREATED_AT_ASC", "CREATED_AT_DESC"])
async def test_filters_return_exactly_the_matching_records_in_order(deployment, order):
    view = raw_view(deployment)
    everything = expected_order(deployment, descending=order == "CREATED_AT_DESC")
    sample = view[everything[len(everything) // 3]]
    number = sorted(sample["numbers"])[0]
    instants = sorted(v["at"] for v in view.values())
    after, before = instants[len(instants) // 4], instants[3 * len(instants) // 4]
    cases = [
        ({"direction": "OUTBOUND"}, lambda v, k: v["direction"] == "outbound"),
        ({"statuses": ["DELIVERED", "SENT"]}, lambda v, k: v["status"] in {"delivered", "sent"}),
        ({"type": "MMS"}, lambda v, k: v["type"] == "mms"),
        ({"number": number}, lambda v, k: number in v["numbers"]),
        ({"providers": ["dfs", "cx-b"]}, lambda v, k: k[0] in {"dfs", "cx-b"}),
        (
            {"createdAfter": after.isoformat(), "createdBefore": before.isoformat()},
            lambda v, k: after <= v["at"] < before,
        ),
        (
            {"direction": "INBOUND", "type": "SMS", "statuses": ["RECEIVED"]},
            lambda v, k: (
                v["direction"] == "inbound" and v["type"] == "sms" and v["status"] == "received"
            ),
        ),
    ]
    for record_filter, predicate in cases:
        expected = [key for key in everything if predicate(view[key], key)]
        assert expected, record_filter
        assert await filtered(deployment, record_filter, order) == expected, record_filter


async def test_filters_reject_bad_values(deployment):
    for record_filter, fragment in (
        ({"number": "12078152557"}, "E.164"),
        ({"providers": ["nope"]}, "nope"),
    ):
        result = await deployment.gql(WALK, {"filter": record_filter, "order": "CREATED_AT_ASC"})
        assert result["data"] is None
        assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert fragment in result["errors"][0]["message"]


async def test_node_returns_records_of_both_providers(deployment):
    fields = "nodes { id providerRecordId createdAt }"
    listed = await deployment.gql(
        f'{{ a: smsRecords(first: 3, filter: {{providers: ["dfs"]}}) {{ {fields} }}'
        f'  b: smsRecords(first: 3, filter: {{providers: ["cx-a"]}}) {{ {fields} }} }}'
    )
    for alias, kind in (("a", "DIDFORSALE"), ("b", "CARRIERX")):
        for listed_node in listed["data"][alias]["nodes"]:
            result = await deployment.gql(NODE, {"id": listed_node["id"]})
            node = result["data"]["node"]
            assert node["id"] == listed_node["id"]
            assert node["providerRecordId"] == listed_node["providerRecordId"]
            assert node["createdAt"] == listed_node["createdAt"]
            assert node["provider"]["kind"] == kind
            assert isinstance(node["raw"], dict)


async def test_node_of_a_well_formed_unknown_id_is_null(deployment):
    for inside in (
        "cx-a:00000000-0000-4000-8000-000000000000",
        "dfs:999999999:2026-11-20 10:00:00",
        "no-such-account:abc",
    ):
        result = await deployment.gql(NODE, {"id": global_id(inside)})
        assert result == {"data": {"node": None}}, inside


@pytest.mark.parametrize(
    "bad", ["not-an-id", base64.b64encode(b"Other:cx-a:1").decode(), global_id("dfs:12345")]
)
async def test_node_of_a_malformed_id_is_bad_user_input(deployment, bad):
    result = await deployment.gql(NODE, {"id": bad})
    assert result["data"]["node"] is None
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_nodes_keeps_order_and_nulls(deployment):
    listed = await deployment.gql("{ smsRecords(first: 4) { nodes { id } } }")
    ids = [n["id"] for n in listed["data"]["smsRecords"]["nodes"]]
    missing = global_id("cx-b:00000000-0000-4000-8000-000000000000")
    result = await deployment.gql(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [ids[0], missing, *ids[1:]]}
    )
    assert result["data"]["nodes"] == [{"id": ids[0]}, None, *({"id": i} for i in ids[1:])]


async def first_id(deployment: Simulated, provider: str) -> str:
    result = await deployment.gql(
        "query($p: [String!]) { smsRecords(first: 1, filter: {providers: $p}) { nodes { id } } }",
        {"p": [provider]},
    )
    return result["data"]["smsRecords"]["nodes"][0]["id"]


@pytest.fixture
async def own() -> AsyncIterator[Simulated]:
    """For a test that changes records: the shared deployment's stay as they were."""
    deployed = await deploy(dfs_count=50, cx_counts=(50, 20))
    yield deployed
    await deployed.close()


async def test_update_user_data_changes_a_carrierx_record(own):
    record_id = await first_id(own, "cx-a")
    result = await own.gql(
        UPDATE, {"input": {"id": record_id, "userData": "ticket #77", "clientMutationId": "m-1"}}
    )
    payload = result["data"]["updateSmsRecordUserData"]
    assert payload["errors"] == []
    assert payload["clientMutationId"] == "m-1"
    assert payload["smsRecord"]["userData"] == "ticket #77"
    again = await own.gql(NODE, {"id": record_id})
    assert again["data"]["node"]["userData"] == "ticket #77"
    listed = await own.gql(
        '{ smsRecords(first: 1, filter: {providers: ["cx-a"]}) { nodes { id userData } } }'
    )
    assert listed["data"]["smsRecords"]["nodes"][0] == {"id": record_id, "userData": "ticket #77"}


async def test_update_user_data_errors(deployment):
    dfs_id = await first_id(deployment, "dfs")
    cx_id = await first_id(deployment, "cx-b")
    before = await upstream_requests(deployment, "cx-b")
    cases = [
        ({"id": dfs_id, "userData": "x"}, "UNSUPPORTED_BY_PROVIDER"),
        ({"id": cx_id, "userData": "x" * 2001}, "INVALID_INPUT"),
        (
            {"id": global_id("cx-b:00000000-0000-4000-8000-000000000000"), "userData": "x"},
            "NOT_FOUND",
        ),
        ({"id": "garbage", "userData": "x"}, "INVALID_INPUT"),
    ]
    for given, code in cases:
        result = await deployment.gql(UPDATE, {"input": {**given, "clientMutationId": code}})
        payload = result["data"]["updateSmsRecordUserData"]
        assert payload["smsRecord"] is None
        assert payload["clientMutationId"] == code
        assert [e["code"] for e in payload["errors"]] == [code]
    # only the NOT_FOUND case reached cx-b: the oversized one was refused before any call
    assert await upstream_requests(deployment, "cx-b") == before + 1
