"""Walk the whole dataset through the gateway, both directions, both orders, odd page size."""

import pytest

from tests.support.relay import BACKWARD, FORWARD, PAGE, Direction, record_keys, walk
from tests.support.simulators import Simulated

from .accounts import expected_order

SIZE = 7


def ids(connection: dict) -> list[tuple[str, str]]:
    return record_keys([edge["node"] for edge in connection["edges"]])


async def walked(deployment: Simulated, direction: Direction, order: str) -> list[tuple[str, str]]:
    done = await walk(deployment.gql, direction, SIZE, order=order)
    done.check_relay()
    return record_keys(done.records)


@pytest.mark.parametrize("order", ["CREATED_AT_ASC", "CREATED_AT_DESC"])
async def test_forward_walk_yields_the_merged_order(deployment, order):
    expected = expected_order(deployment, descending=order == "CREATED_AT_DESC")
    assert len(expected) == 700 + 600 + 150
    assert await walked(deployment, FORWARD, order) == expected


@pytest.mark.parametrize("order", ["CREATED_AT_ASC", "CREATED_AT_DESC"])
async def test_backward_walk_yields_the_merged_order(deployment, order):
    expected = expected_order(deployment, descending=order == "CREATED_AT_DESC")
    assert await walked(deployment, BACKWARD, order) == expected


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
