"""A real router over the gateway as a subgraph: Apollo Gateway composes it with a "tickets"
subgraph by introspecting both over HTTP, and runs queries that cross them both ways, a page
of records reaching into the tickets, and tickets whose records the router fetches from the
gateway's `_entities`.

DIDforSale `dfs` and CarrierX `cx-a`, with the page cache off so that every lookup is an
upstream call to count; the router passes the client's token on."""

import asyncio
import json
from collections.abc import AsyncIterator

import pytest

from tests.support.node import node_json
from tests.support.simulators import Simulated, requests_served

from .accounts import deploy
from .test_federation import CLIENTS, OPS, ask, calls_since

PAGE = "{ smsRecords(first: 12) { nodes { id body provider { name } createdAt } } }"
THROUGH_RECORDS = "{ smsRecords(first: 12) { nodes { id provider { name } ticket { number } } } }"
THROUGH_TICKETS = "{ tickets { number record { id body provider { name } createdAt } } }"


@pytest.fixture(scope="module")
async def subgraph() -> AsyncIterator[Simulated]:
    deployed = await deploy(
        dfs_count=60,
        cx_counts=(40,),
        cache={"ttl_seconds": 0},
        settings={"server": {"federation": True}, "clients": CLIENTS},
    )
    yield deployed
    await deployed.close()


async def through_router(subgraph: Simulated, ticketed: list[dict], query: str) -> dict:
    """The router's answer to `query`, the tickets subgraph holding ticket T-n for the n-th
    of `ticketed`."""
    ids = json.dumps([node["id"] for node in ticketed])
    url = subgraph.gateway_url + "/graphql"
    printed = await asyncio.to_thread(
        node_json, "federated_router.mjs", url, f"Bearer {OPS}", ids, query
    )
    assert isinstance(printed, dict)
    [answer] = printed["answers"]
    return answer


async def test_a_router_joins_the_gateways_records_and_another_subgraphs_tickets(subgraph):
    own = (await ask(subgraph, OPS, PAGE))["data"]["smsRecords"]["nodes"]
    dfs = [node for node in own if node["provider"]["name"] == "dfs"][:2]
    cx = [node for node in own if node["provider"]["name"] == "cx-a"][:2]
    assert len(dfs) == len(cx) == 2
    ticketed = [cx[1], dfs[0], cx[0], dfs[1]]
    numbers = {node["id"]: f"T-{n}" for n, node in enumerate(ticketed, start=1)}

    before = await requests_served(subgraph)
    await ask(subgraph, OPS, PAGE)
    page_calls = await calls_since(subgraph, before)

    before = await requests_served(subgraph)
    records = await through_router(subgraph, ticketed, THROUGH_RECORDS)
    assert records == {
        "data": {
            "smsRecords": {
                "nodes": [
                    {
                        "id": node["id"],
                        "provider": node["provider"],
                        "ticket": {"number": numbers[node["id"]]}
                        if node["id"] in numbers
                        else None,
                    }
                    for node in own
                ]
            }
        }
    }
    # The router asked the gateway for the page once, as a client asking it directly does.
    assert await calls_since(subgraph, before) == page_calls

    before = await requests_served(subgraph)
    tickets = await through_router(subgraph, ticketed, THROUGH_TICKETS)
    assert tickets == {
        "data": {"tickets": [{"number": numbers[node["id"]], "record": node} for node in ticketed]}
    }
    # The router fetched the records through `_entities`, which the gateway loaded as `node`
    # does: a CarrierX call per record, a DIDforSale listing per second they name.
    dfs_seconds = {node["createdAt"][:19] for node in dfs}
    assert await calls_since(subgraph, before) == {"dfs": len(dfs_seconds), "cx-a": len(cx)}
