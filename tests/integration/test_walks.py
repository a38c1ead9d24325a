"""Walk the whole dataset through the gateway, both directions, both orders, odd page size."""

import pytest

from .harness import Deployment, expected_order

PAGE = """
query Page($first: Int, $after: String, $last: Int, $before: String, $order: SmsRecordOrder!) {
  smsRecords(first: $first, after: $after, last: $last, before: $before, orderBy: $order) {
    edges { cursor node { provider { name } providerRecordId createdAt } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    providerStatus { provider ok }
  }
}
"""
SIZE = 7


def ids(connection: dict) -> list[tuple[str, str]]:
    return [
        (e["node"]["provider"]["name"], e["node"]["providerRecordId"]) for e in connection["edges"]
    ]


async def walk_forward(deployment: Deployment, order: str) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    after = None
    while True:
        result = await deployment.gql(PAGE, {"first": SIZE, "after": after, "order": order})
        assert "errors" not in result, result["errors"]
        connection = result["data"]["smsRecords"]
        assert all(status["ok"] for status in connection["providerStatus"])
        page_info = connection["pageInfo"]
        assert page_info["hasPreviousPage"] is (after is not None)
        seen += ids(connection)
        if not page_info["hasNextPage"]:
            assert len(connection["edges"]) <= SIZE
            return seen
        assert len(connection["edges"]) == SIZE
        assert page_info["endCursor"] == connection["edges"][-1]["cursor"]
        after = page_info["endCursor"]


async def walk_backward(deployment: Deployment, order: str) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    before = None
    while True:
        result = await deployment.gql(PAGE, {"last": SIZE, "before": before, "order": order})
        assert "errors" not in result, result["errors"]
        connection = result["data"]["smsRecords"]
        page_info = connection["pageInfo"]
        assert page_info["hasNextPage"] is (before is not None)
        seen = ids(connection) + seen
        if not page_info["hasPreviousPage"]:
            return seen
        assert len(connection["edges"]) == SIZE
        assert page_info["startCursor"] == connection["edges"][0]["cursor"]
        before = page_info["startCursor"]


@pytest.mark.parametrize("order", ["CREATED_AT_ASC", "CREATED_AT_DESC"])
async def test_forward_walk_yields_the_merged_order(deployment, order):
    expected = expected_order(deployment, descending=order == "CREATED_AT_DESC")
    assert len(expected) == 700 + 600 + 150
    assert await walk_forward(deployment, order) == expected


@pytest.mark.parametrize("order", ["CREATED_AT_ASC", "CREATED_AT_DESC"])
async def test_backward_walk_yields_the_merged_order(deployment, order):
    expected = expected_order(deployment, descending=order == "CREATED_AT_DESC")
    assert await walk_backward(deployment, order) == expected


async def test_a_cursor_pages_both_ways_from_the_middle(deployment):
    expected = expected_order(deployment, descending=True)
    first = await deployment.gql(PAGE, {"first": 50, "order": "CREATED_AT_DESC"})
    edges = first["data"]["smsRecords"]["edges"]
    middle = edges[30]["cursor"]
    forward = await deployment.gql(PAGE, {"first": 5, "after": middle, "order": "CREATED_AT_DESC"})
    backward = await deployment.gql(PAGE, {"last": 5, "before": middle, "order": "CREATED_AT_DESC"})
    assert ids(forward["data"]["smsRecords"]) == expected[31:36]
    assert ids(backward["data"]["smsRecords"]) == expected[25:30]
    assert backward["data"]["smsRecords"]["pageInfo"]["hasNextPage"] is True
    assert backward["data"]["smsRecords"]["pageInfo"]["hasPreviousPage"] is True


async def test_default_page_is_newest_first_with_the_default_size(deployment):
    result = await deployment.gql(
        "{ smsRecords { edges { node { createdAt } } pageInfo { hasNextPage } } }"
    )
    edges = result["data"]["smsRecords"]["edges"]
    assert len(edges) == 20
    times = [e["node"]["createdAt"] for e in edges]
    assert times == sorted(times, reverse=True)
    assert all(t.endswith("Z") for t in times)


async def test_first_zero_tells_whether_records_exist(deployment):
    result = await deployment.gql(PAGE, {"first": 0, "order": "CREATED_AT_ASC"})
    connection = result["data"]["smsRecords"]
    assert connection["edges"] == []
    assert connection["pageInfo"]["hasNextPage"] is True


@pytest.mark.parametrize("order", ["CREATED_AT_ASC", "CREATED_AT_DESC"])
async def test_turning_back_and_forth_loses_no_record(deployment, order):
    """Each step goes one edge the other way from the last edge seen, so every cursor was made
    travelling the other way round; a provider's resume hint must not outlive that."""
    expected = expected_order(deployment, descending=order == "CREATED_AT_DESC")
    turns = [
        i
        for i in range(1, len(expected) - 1)
        if expected[i][0] != expected[i + 1][0] and expected[i - 1][0] != expected[i][0]
    ][:5]
    assert turns
    for i in turns:
        start = await deployment.gql(PAGE, {"first": i + 2, "order": order})
        cursor = start["data"]["smsRecords"]["edges"][-1]["cursor"]
        for step, (arguments, want) in enumerate(
            [({"last": 1}, i), ({"first": 1}, i + 1), ({"last": 1}, i), ({"last": 1}, i - 1)]
        ):
            key = "before" if "last" in arguments else "after"
            result = await deployment.gql(PAGE, {**arguments, key: cursor, "order": order})
            connection = result["data"]["smsRecords"]
            assert ids(connection) == [expected[want]], (i, step)
            cursor = connection["edges"][0]["cursor"]
