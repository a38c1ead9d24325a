"""Upstream call budget: each walk asks every provider for no more than its pages need.

The simulators count the requests they receive; counts are deterministic, so they are
asserted exactly or by tight bounds.
"""

import math
from collections.abc import AsyncIterator

import pytest

from tests.support.relay import BACKWARD, FORWARD, Walk, record_keys, walk
from tests.support.simulators import (
    Simulated,
    requests_served,
    simulator_stats,
    upstream_requests,
)

from .accounts import deploy, expected_order

DFS_ROWS, CX_A, CX_B = 2600, 700, 150


@pytest.fixture
async def fresh() -> AsyncIterator[Simulated]:
    """A new deployment per test: empty cache, zeroed counters."""
    deployed = await deploy(dfs_count=DFS_ROWS, cx_counts=(CX_A, CX_B), cache={"ttl_seconds": 600})
    yield deployed
    await deployed.close()


async def shaped(deployment: Simulated, order: str, size: int, forward: bool) -> Walk:
    return await walk(deployment.gql, FORWARD if forward else BACKWARD, size, order=order)


SHAPES = [
    ("CREATED_AT_DESC", True),
    ("CREATED_AT_ASC", True),
    ("CREATED_AT_DESC", False),
    ("CREATED_AT_ASC", False),
]


@pytest.mark.parametrize(("order", "forward"), SHAPES)
@pytest.mark.parametrize("size", [20, 7])
async def test_a_walk_stays_within_the_call_budget(fresh, order, forward, size):
    done = await shaped(fresh, order, size, forward)
    pages = len(done.pages)
    assert record_keys(done.records) == expected_order(fresh, descending=order == "CREATED_AT_DESC")

    dfs_pages = math.ceil(DFS_ROWS / 500)
    newest_first = (order == "CREATED_AT_DESC") == forward
    dfs_calls = await upstream_requests(fresh, "dfs")
    if newest_first:
        assert dfs_calls <= 1.1 * dfs_pages + 2 * math.log2(DFS_ROWS)
    else:
        assert dfs_calls <= dfs_pages + 2

    for name in ("cx-a", "cx-b"):
        cx = await simulator_stats(fresh, name)
        assert cx["requests"] <= pages
        limits = [
            int(r["query"]["limit"]) for r in cx["recent"] if r["path"].endswith("message_drs")
        ]
        assert size + 1 <= max(limits) <= size + 2


async def test_fifty_nodes_cost_one_call_per_carrierx_record_and_one_per_didforsale_second(fresh):
    fields = "id provider { name } createdAt"
    listed = await fresh.gql(
        f"{{ smsRecords(first: 50, orderBy: CREATED_AT_ASC) {{ nodes {{ {fields} }} }} }}"
    )
    nodes = listed["data"]["smsRecords"]["nodes"]
    before = {name: await upstream_requests(fresh, name) for name in ("dfs", "cx-a", "cx-b")}
    result = await fresh.gql(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [n["id"] for n in nodes]}
    )
    assert [n["id"] for n in result["data"]["nodes"]] == [n["id"] for n in nodes]
    for name in ("cx-a", "cx-b"):
        mine = [n for n in nodes if n["provider"]["name"] == name]
        assert await upstream_requests(fresh, name) - before[name] <= len(mine)
    dfs_seconds = {n["createdAt"][:19] for n in nodes if n["provider"]["name"] == "dfs"}
    assert await upstream_requests(fresh, "dfs") - before["dfs"] <= len(dfs_seconds)


@pytest.mark.parametrize(("order", "forward"), SHAPES)
async def test_an_empty_didforsale_account_costs_no_calls_after_the_first_page(order, forward):
    """Another account fills every page: the empty account's cursor hint must still say how
    far its own listing went, or each page would search its whole range again."""
    deployed = await deploy(dfs_count=0, cx_counts=(300, 0), cache={"ttl_seconds": 600})
    try:
        done = await shaped(deployed, order, 20, forward)
        assert len(done.records) == 300 and len(done.pages) == 15
        first_page_windows = 1 + math.ceil(math.log(30 * 24, 8))
        assert await upstream_requests(deployed, "dfs") <= first_page_windows
    finally:
        await deployed.close()


FIRST_PAGE = "{ smsRecords(first: 20) { nodes { id createdAt } } }"


@pytest.mark.parametrize("cached", [True, False])
async def test_an_identical_first_page_is_served_from_the_cache_within_its_step(cached):
    """With no `createdBefore`, the window ends at "now" rounded up to the cache's step (an
    hour here), so the same first page sends the same requests and finds them cached; with
    the cache off, each asks again as much as the first."""
    ttl = 3600 if cached else 0
    deployed = await deploy(dfs_count=DFS_ROWS, cx_counts=(CX_A, CX_B), cache={"ttl_seconds": ttl})
    try:
        first = await deployed.gql(FIRST_PAGE)
        made_by_first = await requests_served(deployed)
        assert await deployed.gql(FIRST_PAGE) == first
        after = await requests_served(deployed)
    finally:
        await deployed.close()
    assert all(made_by_first.values())
    made_by_second = {name: after[name] - made_by_first[name] for name in after}
    if cached:
        assert made_by_second == dict.fromkeys(after, 0)
    else:
        assert made_by_second == made_by_first
