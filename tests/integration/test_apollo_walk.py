"""Apollo Client itself walks the gateway, as a frontend would: relayStylePagination merges
the pages of fetchMore forward to the end and backward to the start, every request sent as
an automatic persisted query (hash-only GETs, the document sent once)."""

import asyncio
import json
import math
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from gateway.metrics import REGISTRY
from tests.support.node import node_json
from tests.support.relay import FORWARD, walk
from tests.support.simulators import Simulated

from .accounts import deploy

SIZE = 25
ORDER = "CREATED_AT_ASC"


@pytest.fixture(scope="module")
async def gateway() -> AsyncIterator[Simulated]:
    deployed = await deploy(dfs_count=300, cx_counts=(250, 80))
    yield deployed
    await deployed.close()


def request(*, method: str, sent_document: bool, not_found: bool) -> dict[str, object]:
    """One request as the script's fetch saw it; every one carries the document's hash."""
    return {
        "method": method,
        "sentDocument": sent_document,
        "sentHash": True,
        "status": 200,
        "notFound": not_found,
    }


def lookups(outcome: str) -> float:
    return REGISTRY.get_sample_value("gateway_persisted_queries_total", {"outcome": outcome}) or 0


async def test_apollo_clients_merged_pages_equal_the_gateways_order_both_ways(gateway):
    now = datetime.now(UTC).replace(microsecond=0)
    window = {
        "createdAfter": (now - timedelta(days=20)).isoformat().replace("+00:00", "Z"),
        "createdBefore": (now - timedelta(days=8)).isoformat().replace("+00:00", "Z"),
    }
    own = await walk(gateway.gql, FORWARD, 50, order=ORDER, filter=window)
    expected = [record["id"] for record in own.records]
    assert len(set(expected)) == len(expected) > 4 * SIZE

    counts = {outcome: lookups(outcome) for outcome in ("hit", "miss", "registered")}
    url = gateway.gateway_url + "/graphql"
    seen = await asyncio.to_thread(
        node_json, "apollo_walk.mjs", url, json.dumps(window), ORDER, str(SIZE)
    )
    pages = math.ceil(len(expected) / SIZE)
    for way in ("forward", "backward"):
        assert seen[way]["ids"] == expected, way
        assert seen[way]["pages"] == pages, way

    # The first page's hash is unknown: Apollo sends the document once over POST, and every
    # page after that, both ways, is a GET of the hash alone.
    assert seen["requests"] == [
        request(method="GET", sent_document=False, not_found=True),
        request(method="POST", sent_document=True, not_found=False),
    ] + [request(method="GET", sent_document=False, not_found=False)] * (2 * pages - 1)
    served = {outcome: lookups(outcome) - before for outcome, before in counts.items()}
    assert served == {"miss": 1, "registered": 1, "hit": 2 * pages - 1}
