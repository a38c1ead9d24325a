"""Upstream call budget: each walk asks every provider for no more than its pages need.

The simulators count the requests they receive; counts are deterministic, so they are
asserted exactly or by tight bounds.
"""

import math

import pytest

from .harness import Deployment, deploy, expected_order

PAGE = """
query Page($first: Int, $after: String, $last: Int, $before: String, $order: SmsRecordOrder!) {
  smsRecords(first: $first, after: $after, last: $last, before: $before, orderBy: $order) {
    edges { node { provider { name } providerRecordId } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""
DFS_ROWS, CX_A, CX_B = 2600, 700, 150


@pytest.fixture
async def fresh() -> Deployment:
    """A new deployment per test: empty cache, zeroed counters."""
    deployed = await deploy(dfs_count=DFS_ROWS, cx_counts=(CX_A, CX_B), cache={"ttl_seconds": 600})
    yield deployed
    await deployed.close()


async def stats(deployment: Deployment, name: str) -> dict:
    async with deployment.http.get(deployment.control_url(name) + "stats") as response:
        return await response.json()


async def walk(deployment: Deployment, order: str, size: int, forward: bool) -> tuple[list, int]:
    seen, cursor, pages = [], None, 0
    while True:
        variables = {"order": order}
        variables |= (
            {"first": size, "after": cursor} if forward else {"last": size, "before": cursor}
        )
        result = await deployment.gql(PAGE, variables)
        assert "errors" not in result, result
        connection = result["data"]["smsRecords"]
        pages += 1
        found = [
            (e["node"]["provider"]["name"], e["node"]["providerRecordId"])
            for e in connection["edges"]
        ]
        seen = seen + found if forward else found + seen
        info = connection["pageInfo"]
        if not (info["hasNextPage"] if forward else info["hasPreviousPage"]):
            return seen, pages
        cursor = info["endCursor"] if forward else info["startCursor"]


SHAPES = [
    ("CREATED_AT_DESC", True),
    ("CREATED_AT_ASC", True),
    ("CREATED_AT_DESC", False),
    ("CREATED_AT_ASC", False),
]


@pytest.mark.parametrize(("order", "forward"), SHAPES)
@pytest.mark.parametrize("size", [20, 7])
async def test_a_walk_stays_within_the_call_budget(fresh, order, forward, size):
    seen, pages = await walk(fresh, order, size, forward)
    assert seen == expected_order(fresh, descending=order == "CREATED_AT_DESC")

    dfs_pages = math.ceil(DFS_ROWS / 500)
    newest_first = (order == "CREATED_AT_DESC") == forward
    dfs_calls = (await stats(fresh, "dfs"))["requests"]
    if newest_first:
        assert dfs_calls <= 1.1 * dfs_pages + 2 * math.log2(DFS_ROWS)
    else:
        assert dfs_calls <= dfs_pages + 2

    for name in ("cx-a", "cx-b"):
        cx = await stats(fresh, name)
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
    before = {name: (await stats(fresh, name))["requests"] for name in ("dfs", "cx-a", "cx-b")}
    result = await fresh.gql(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [n["id"] for n in nodes]}
    )
    assert [n["id"] for n in result["data"]["nodes"]] == [n["id"] for n in nodes]
    for name in ("cx-a", "cx-b"):
        mine = [n for n in nodes if n["provider"]["name"] == name]
        assert (await stats(fresh, name))["requests"] - before[name] <= len(mine)
    dfs_seconds = {n["createdAt"][:19] for n in nodes if n["provider"]["name"] == "dfs"}
    assert (await stats(fresh, "dfs"))["requests"] - before["dfs"] <= len(dfs_seconds)


@pytest.mark.parametrize(("order", "forward"), SHAPES)
async def test_an_empty_didforsale_account_costs_no_calls_after_the_first_page(order, forward):
    """Another account fills every page: the empty account's cursor hint must still say how
    far its own listing went, or each page would search its whole range again."""
    deployed = await deploy(dfs_count=0, cx_counts=(300, 0), cache={"ttl_seconds": 600})
    try:
        seen, pages = await walk(deployed, order, 20, forward)
        assert len(seen) == 300 and pages == 15
        first_page_windows = 1 + math.ceil(math.log(30 * 24, 8))
        assert (await stats(deployed, "dfs"))["requests"] <= first_page_windows
    finally:
        await deployed.close()
