"""The gateway as an Apollo Federation 2 subgraph (`[server] federation = true`), over real
HTTP: `_service { sdl }`, `_entities` for records of both providers and for accounts, the
caller's scope, and composition with another subgraph by Apollo's own `composeServices`.

DIDforSale `dfs` and CarrierX `cx-a`, `cx-b`, with the page cache off so that every lookup
is an upstream call to count; `desk` reads `dfs` and `cx-a`, `ops` every account."""

import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from gateway.auth import token_sha256
from gateway.schema import build_schema, export_sdl
from tests.support.node import node_json
from tests.support.simulators import Simulated, requests_served

from .accounts import deploy

ROOT = Path(__file__).resolve().parents[2]
DESK, OPS = "desk-token-" + "d" * 40, "ops-token-" + "o" * 40
CLIENTS = [
    {"name": "desk", "token_sha256": token_sha256(DESK), "providers": ["dfs", "cx-a"]},
    {"name": "ops", "token_sha256": token_sha256(OPS), "providers": ["*"]},
]
MAX_COST = 500
UNKNOWN_SID = "00000000-0000-4000-8000-000000000000"
PAGE = """
query Page($providers: [String!]) {
  smsRecords(first: 3, filter: {providers: $providers}) {
    nodes { id providerRecordId createdAt provider { name } }
  }
}
"""
ENTITIES = """
query Entities($representations: [_Any!]!) {
  _entities(representations: $representations) {
    __typename
    ... on SmsRecord { id providerRecordId createdAt provider { name } }
    ... on Provider { name kind }
  }
}
"""
TICKETS = """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])

type SmsRecord @key(fields: "id") {
  id: ID!
  ticket: Ticket
}

type Provider @key(fields: "name", resolvable: false) {
  name: String!
}

type Ticket {
  id: ID!
  title: String!
  provider: Provider
}

type Query {
  tickets: [Ticket!]!
}
"""


@pytest.fixture(scope="module")
async def subgraph() -> AsyncIterator[Simulated]:
    deployed = await deploy(
        dfs_count=60,
        cx_counts=(40, 20),
        cache={"ttl_seconds": 0},
        settings={
            "server": {"federation": True},
            "clients": CLIENTS,
            "limits": {"max_cost": MAX_COST},
        },
    )
    yield deployed
    await deployed.close()


async def ask(deployment: Simulated, token: str, query: str, variables: dict | None = None):
    return await deployment.gql(query, variables, headers={"Authorization": f"Bearer {token}"})


async def page(deployment: Simulated, provider: str) -> list[dict]:
    """The newest records of one account, as `ops` lists them."""
    result = await ask(deployment, OPS, PAGE, {"providers": [provider]})
    return result["data"]["smsRecords"]["nodes"]


async def entities(deployment: Simulated, representations: list) -> dict:
    """What `desk` gets when it asks `_entities` for `representations`."""
    return await ask(deployment, DESK, ENTITIES, {"representations": representations})


async def calls_since(deployment: Simulated, before: dict[str, int]) -> dict[str, int]:
    """The upstream calls each account received since `before`, for those that received any."""
    now = await requests_served(deployment)
    return {name: now[name] - before[name] for name in now if now[name] != before[name]}


def record_id(account: str, key: str) -> str:
    return base64.b64encode(f"SmsRecord:{account}:{key}".encode()).decode()


def record(node: dict) -> dict:
    return {"__typename": "SmsRecord", **node}


def provider(name: str) -> dict:
    return {"__typename": "Provider", "name": name}


async def test_service_sdl_is_the_committed_subgraph_schema(subgraph):
    result = await ask(subgraph, DESK, "{ _service { sdl } }")
    sdl = result["data"]["_service"]["sdl"] + "\n"
    assert sdl == (ROOT / "schema.federation.graphql").read_text()
    assert 'type SmsRecord implements Node @key(fields: "id")' in sdl
    assert 'type Provider @key(fields: "name")' in sdl


async def test_entities_resolve_records_of_both_providers_in_one_batch(subgraph):
    dfs, cx = (await page(subgraph, "dfs"))[:2], (await page(subgraph, "cx-a"))[:2]
    asked = [dfs[0], cx[0], dfs[1], cx[1]]
    before = await requests_served(subgraph)
    result = await entities(
        subgraph,
        [
            *({"__typename": "SmsRecord", "id": node["id"]} for node in asked),
            provider("dfs"),
            provider("cx-a"),
        ],
    )
    assert "errors" not in result
    assert result["data"]["_entities"] == [
        *map(record, asked),
        {"__typename": "Provider", "name": "dfs", "kind": "DIDFORSALE"},
        {"__typename": "Provider", "name": "cx-a", "kind": "CARRIERX"},
    ]
    # One batch: a CarrierX lookup per record, a DIDforSale listing per second they name.
    dfs_seconds = {node["createdAt"][:19] for node in dfs}
    assert await calls_since(subgraph, before) == {"dfs": len(dfs_seconds), "cx-a": 2}


async def test_entities_outside_the_callers_accounts_are_null_without_a_call(subgraph):
    other = (await page(subgraph, "cx-b"))[0]
    before = await requests_served(subgraph)
    result = await entities(
        subgraph,
        [
            {"__typename": "SmsRecord", "id": other["id"]},
            provider("cx-b"),
            provider("no-such-account"),
            {"__typename": "SmsRecord", "id": record_id("cx-a", UNKNOWN_SID)},
        ],
    )
    assert result == {"data": {"_entities": [None, None, None, None]}}
    # only the unknown record, of an account the caller reads, was looked up
    assert await calls_since(subgraph, before) == {"cx-a": 1}


async def test_entities_and_node_share_the_requests_dataloader(subgraph):
    node = (await page(subgraph, "cx-a"))[0]
    before = await requests_served(subgraph)
    result = await ask(
        subgraph,
        DESK,
        """
        query Both($id: ID!, $representations: [_Any!]!) {
          node(id: $id) { id ... on SmsRecord { providerRecordId createdAt provider { name } } }
          _entities(representations: $representations) {
            ... on SmsRecord { id providerRecordId createdAt provider { name } }
          }
        }
        """,
        {"id": node["id"], "representations": [{"__typename": "SmsRecord", "id": node["id"]}]},
    )
    assert result == {"data": {"node": node, "_entities": [node]}}
    assert await calls_since(subgraph, before) == {"cx-a": 1}


async def test_bad_representations_fail_alone_with_bad_user_input(subgraph):
    good = (await page(subgraph, "cx-a"))[0]
    before = await requests_served(subgraph)
    result = await entities(
        subgraph,
        [
            {"__typename": "Ticket", "id": "T-1"},
            {"__typename": "SmsRecord"},
            provider("cx-a") | {"name": 7},
            "SmsRecord",
            {"__typename": "SmsRecord", "id": "not-a-record-id"},
            {"__typename": "SmsRecord", "id": good["id"]},
        ],
    )
    assert result["data"]["_entities"] == [None, None, None, None, None, record(good)]
    assert {tuple(e["path"]): e["extensions"]["code"] for e in result["errors"]} == {
        ("_entities", index): "BAD_USER_INPUT" for index in range(5)
    }
    messages = [e["message"] for e in sorted(result["errors"], key=lambda e: e["path"])]
    assert "must be one of SmsRecord, Provider" in messages[0]
    assert "a SmsRecord is found by its `id`" in messages[1]
    assert "a Provider is found by its `name`" in messages[2]
    assert await calls_since(subgraph, before) == {"cx-a": 1}


async def test_entities_count_toward_the_cost_limit_before_any_call(subgraph):
    node = (await page(subgraph, "cx-a"))[0]
    before = await requests_served(subgraph)
    representations = [{"__typename": "SmsRecord", "id": node["id"]}] * (MAX_COST + 1)
    result = await entities(subgraph, representations)
    assert "data" not in result
    [error] = result["errors"]
    assert error["extensions"] == {
        "code": "BAD_USER_INPUT",
        "cost": MAX_COST + 1,
        "maxCost": MAX_COST,
    }
    assert await calls_since(subgraph, before) == {}


async def test_with_introspection_off_service_is_refused_as_schema_is():
    """`_service { sdl }` is the whole schema: a router then composes from the file."""
    closed = await deploy(
        dfs_count=4,
        cx_counts=(4,),
        settings={"server": {"federation": True, "introspection": False}},
    )
    try:
        for field in ("_service { sdl }", "__schema { queryType { name } }"):
            result = await closed.gql(f"{{ {field} }}")
            assert "data" not in result
            assert {e["extensions"]["code"] for e in result["errors"]} == {"BAD_USER_INPUT"}
            assert "introspection has been disabled" in result["errors"][0]["message"]
            assert field.split()[0] in result["errors"][0]["message"]
        nodes = (await closed.gql(PAGE))["data"]["smsRecords"]["nodes"]
        representations = [{"__typename": "SmsRecord", "id": node["id"]} for node in nodes]
        result = await closed.gql(ENTITIES, {"representations": representations})
        assert result == {"data": {"_entities": [*map(record, nodes)]}}
    finally:
        await closed.close()


async def test_a_gateway_without_federation_serves_no_subgraph_fields(deployment):
    result = await deployment.gql("{ _service { sdl } }")
    assert [e["extensions"]["code"] for e in result["errors"]] == ["BAD_USER_INPUT"]
    assert "_service" in result["errors"][0]["message"]
    assert "@key" not in export_sdl()


def compose(tmp_path: Path, sms_sdl: str, tickets_sdl: str) -> dict:
    subgraphs = tmp_path / "subgraphs.json"
    subgraphs.write_text(
        json.dumps(
            [
                {"name": "sms", "url": "http://sms.internal/graphql", "sdl": sms_sdl},
                {"name": "tickets", "url": "http://tickets.internal/graphql", "sdl": tickets_sdl},
            ]
        )
    )
    composed = node_json("compose_supergraph.mjs", str(subgraphs))
    assert isinstance(composed, dict)
    return composed


async def test_the_subgraph_composes_into_a_supergraph_with_another(subgraph, tmp_path):
    sdl = (await ask(subgraph, DESK, "{ _service { sdl } }"))["data"]["_service"]["sdl"]
    composed = compose(tmp_path, sdl, TICKETS)
    assert composed["errors"] == []
    types = composed["types"]
    own_fields = list(build_schema()._schema.type_map["SmsRecord"].fields)
    assert types["SmsRecord"]["fields"] == [*own_fields, "ticket"]
    assert types["SmsRecord"]["keys"] == [
        {"subgraph": "sms", "key": "id"},
        {"subgraph": "tickets", "key": "id"},
    ]
    assert {"subgraph": "sms", "key": "name"} in types["Provider"]["keys"]
    assert types["Ticket"]["fields"] == ["id", "title", "provider"]
    assert {"node", "nodes", "smsRecords", "smsRecordStats", "providers", "tickets"} == set(
        types["Query"]["fields"]
    )


async def test_composition_reports_a_subgraph_that_disagrees_on_a_key(subgraph, tmp_path):
    sdl = (await ask(subgraph, DESK, "{ _service { sdl } }"))["data"]["_service"]["sdl"]
    composed = compose(
        tmp_path, sdl, TICKETS.replace("  id: ID!\n  ticket", "  id: Int!\n  ticket")
    )
    assert [error["code"] for error in composed["errors"]] == ["FIELD_TYPE_MISMATCH"]
    assert composed["types"] == {}
