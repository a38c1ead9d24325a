"""Whole walks through the gateway over the contract fakes: both orders, both directions."""

from typing import Any

import pytest

from .data import numbers_of
from .deployment import WINDOW_FILTER, Contract, deploy

PAGE = """
query Page($first: Int, $after: String, $last: Int, $before: String,
           $order: SmsRecordOrder!, $filter: SmsRecordFilter) {
  smsRecords(first: $first, after: $after, last: $last, before: $before,
             orderBy: $order, filter: $filter) {
    edges { cursor node { provider { name } providerRecordId } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    providerStatus { provider ok code message }
  }
}
"""
SIZE = 41
ORDERS = ["CREATED_AT_ASC", "CREATED_AT_DESC"]


def page_ids(connection: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (e["node"]["provider"]["name"], e["node"]["providerRecordId"]) for e in connection["edges"]
    ]


async def fetch(contract: Contract, variables: dict[str, Any]) -> dict[str, Any]:
    result = await contract.gql(PAGE, {"filter": WINDOW_FILTER} | variables)
    assert "errors" not in result, result["errors"]
    connection = result["data"]["smsRecords"]
    assert all(status["ok"] for status in connection["providerStatus"]), connection
    return connection


async def walk_forward(
    contract: Contract, order: str, record_filter: dict[str, Any] = WINDOW_FILTER
) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    after = None
    while True:
        variables = {"first": SIZE, "after": after, "order": order, "filter": record_filter}
        connection = await fetch(contract, variables)
        info = connection["pageInfo"]
        assert info["hasPreviousPage"] is (after is not None)
        seen += page_ids(connection)
        if not info["hasNextPage"]:
            return seen
        assert len(connection["edges"]) == SIZE
        after = info["endCursor"]


async def walk_backward(contract: Contract, order: str) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    before = None
    while True:
        connection = await fetch(contract, {"last": SIZE, "before": before, "order": order})
        info = connection["pageInfo"]
        assert info["hasNextPage"] is (before is not None)
        seen = page_ids(connection) + seen
        if not info["hasPreviousPage"]:
            return seen
        assert len(connection["edges"]) == SIZE
        before = info["startCursor"]


@pytest.mark.parametrize("order", ORDERS)
async def test_forward_walk_is_the_contract_order(contract, order):
    expected = contract.expected(descending=order == "CREATED_AT_DESC")
    assert len(expected) > 2400
    assert await walk_forward(contract, order) == expected
    assert contract.refusals() == {}


@pytest.mark.parametrize("order", ORDERS)
async def test_backward_walk_is_the_contract_order(contract, order):
    expected = contract.expected(descending=order == "CREATED_AT_DESC")
    assert await walk_backward(contract, order) == expected
    assert contract.refusals() == {}


@pytest.mark.parametrize("order", ORDERS)
async def test_a_sparse_walk_follows_didforsale_page_tokens(contract, order):
    """A number seen only late in the window makes the adapter read past 500 rows, so it must
    send back the fake's huge, row-unrelated `last_record_number` unchanged (this walk or an
    earlier one, whose pages a page cache may serve)."""
    fake = contract.dfs["dfs-lhi"]
    inside = [row for row in fake.listing() if row["date"] < "2024-04-10 08:00:00"]
    number = "+" + inside[-30]["sender"]
    record_filter = WINDOW_FILTER | {"number": number}
    expected = contract.expected(
        descending=order == "CREATED_AT_DESC",
        keep=lambda account, raw, at: number in numbers_of(raw),
    )
    assert ("dfs-lhi", inside[-30]["uuid"]) in expected
    assert await walk_forward(contract, order, record_filter) == expected
    assert any(body["last_record_number"] > 2**64 for body in fake.bodies)
    assert contract.refusals() == {}


async def test_didforsale_bodies_carry_every_field(contract):
    for fake in contract.dfs.values():
        assert fake.bodies
        for body in fake.bodies:
            assert set(body) == {"start_date", "end_date", "last_record_number"}


async def test_carrierx_never_mixes_offset_with_a_sid(contract):
    for fake in contract.cx.values():
        assert fake.queries
        for query in fake.queries:
            assert not ({"after", "before"} <= query.keys())
            if "after" in query or "before" in query:
                assert "offset" not in query
            assert int(query["limit"]) <= 1000


async def test_a_walk_survives_the_provider_forgetting_its_page_tokens(contract):
    """Tokens are opaque and promised only for the next body: whatever an adapter keeps
    between GraphQL pages must fall back to the boundary when the provider refuses it."""
    fake = contract.dfs["dfs-lhi"]
    number = "+" + fake.listing()[-200]["sender"]
    record_filter = WINDOW_FILTER | {"number": number}
    expected = contract.expected(keep=lambda account, raw, at: number in numbers_of(raw))
    seen: list[tuple[str, str]] = []
    after = None
    while True:
        fake.forget_tokens()
        variables = {"first": 2, "after": after, "order": "CREATED_AT_ASC", "filter": record_filter}
        connection = await fetch(contract, variables)
        seen += page_ids(connection)
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert seen == expected
    assert contract.refusals() == {}


async def walk_one_account(contract: Contract, account: str, size: int, between=None) -> list:
    """An ascending walk of one account's records; `between(page)` runs before each page."""
    record_filter = WINDOW_FILTER | {"providers": [account]}
    seen: list[tuple[str, str]] = []
    after = None
    for page in range(10_000):
        if between is not None:
            between(page)
        variables = {
            "first": size,
            "after": after,
            "order": "CREATED_AT_ASC",
            "filter": record_filter,
        }
        connection = await fetch(contract, variables)
        seen += page_ids(connection)
        if not connection["pageInfo"]["hasNextPage"]:
            return seen
        after = connection["pageInfo"]["endCursor"]
    raise AssertionError("the walk did not end")


async def test_a_walk_survives_stale_page_tokens_answered_as_an_empty_last_page(contract):
    """A token kept in a cursor may come back as a successful, empty last page rather than
    a refusal; that must not end the walk early."""
    fake = contract.dfs["dfs-lhi"]
    fake.stale_answer = "empty"
    try:
        seen = await walk_one_account(contract, "dfs-lhi", 90)
    finally:
        fake.stale_answer = "refuse"
    assert seen == contract.expected(keep=lambda account, raw, at: account == "dfs-lhi")


async def test_rows_arriving_late_never_repeat_a_record(contract):
    """CDRs may arrive after their time: a row dated before the walk's position shifts the
    provider's pages, and a resumed page must not serve the previous page's records again."""
    fake = contract.dfs["dfs-ktm"]
    expected = contract.expected(keep=lambda account, raw, at: account == "dfs-ktm")
    first = next(row for row in fake.listing() if row["uuid"] == expected[0][1])
    late = [{**first, "uuid": str(9 * 10**17 + n)} for n in range(3)]

    def arrive(page: int) -> None:
        if 2 <= page < 2 + len(late):
            fake.rows.append(late[page - 2])

    try:
        seen = await walk_one_account(contract, "dfs-ktm", 7, between=arrive)
    finally:
        fake.rows = [row for row in fake.rows if row not in late]
    assert len(seen) == len(set(seen)), "no record twice"
    assert [key for key in seen if key[1] not in {row["uuid"] for row in late}] == expected


async def test_descending_ties_do_not_depend_on_carrierx_descending_tie_order():
    """A provider whose descending listing keeps same-millisecond ties in insertion order
    (a stable sort) must still give the exact reverse of the ascending walk."""
    deployed = await deploy({"dfs-lhi": 40, "dfs-ktm": 20, "alpha-cx": 40, "zulu-cx": 600})
    try:
        for fake in deployed.cx.values():
            fake.stable_descending = True
        assert await walk_forward(deployed, "CREATED_AT_DESC") == deployed.expected(descending=True)
        assert await walk_backward(deployed, "CREATED_AT_ASC") == deployed.expected()
    finally:
        await deployed.close()
