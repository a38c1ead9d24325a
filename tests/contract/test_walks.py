"""Whole walks through the gateway over the contract fakes: both orders, both directions."""

from typing import Any

import pytest

from tests.support.relay import BACKWARD, FORWARD, Direction, record_keys, walk

from .data import numbers_of
from .deployment import WINDOW_FILTER, Contract, deploy

SIZE = 41
ORDERS = ["CREATED_AT_ASC", "CREATED_AT_DESC"]
SHAPES = [(direction, order) for direction in (FORWARD, BACKWARD) for order in ORDERS]


async def walked(
    contract: Contract,
    direction: Direction,
    order: str,
    record_filter: dict[str, Any] = WINDOW_FILTER,
    *,
    size: int = SIZE,
) -> list[tuple[str, str]]:
    """A whole walk of the window (or `record_filter`) with its Relay flags checked."""
    done = await walk(contract.gql, direction, size, order=order, filter=record_filter)
    done.check_relay()
    return record_keys(done.records)


@pytest.mark.parametrize("order", ORDERS)
async def test_forward_walk_is_the_contract_order(contract, order):
    expected = contract.accounts.expected(descending=order == "CREATED_AT_DESC")
    assert len(expected) > 2400
    assert await walked(contract, FORWARD, order) == expected
    assert contract.accounts.refusals() == {}


@pytest.mark.parametrize("order", ORDERS)
async def test_backward_walk_is_the_contract_order(contract, order):
    expected = contract.accounts.expected(descending=order == "CREATED_AT_DESC")
    assert await walked(contract, BACKWARD, order) == expected
    assert contract.accounts.refusals() == {}


@pytest.mark.parametrize("order", ORDERS)
async def test_a_sparse_walk_follows_didforsale_page_tokens(contract, order):
    """A number seen only late in the window makes the adapter read past 500 rows, so it must
    send back the fake's huge, row-unrelated `last_record_number` unchanged (the contract's
    gateway keeps no page cache, so this walk sends it itself)."""
    fake = contract.accounts.dfs["dfs-lhi"]
    inside = [row for row in fake.listing() if row["date"] < "2024-04-10 08:00:00"]
    number = "+" + inside[-30]["sender"]
    record_filter = WINDOW_FILTER | {"number": number}
    expected = contract.accounts.expected(
        descending=order == "CREATED_AT_DESC",
        keep=lambda account, raw, at: number in numbers_of(raw),
    )
    assert ("dfs-lhi", inside[-30]["uuid"]) in expected
    sent_before = len(fake.bodies)
    assert await walked(contract, FORWARD, order, record_filter) == expected
    assert any(body["last_record_number"] > 2**64 for body in fake.bodies[sent_before:])
    assert contract.accounts.refusals() == {}


@pytest.fixture(scope="module")
async def traffic(shared_contract: Contract) -> tuple[dict[str, list[Any]], dict[str, list[Any]]]:
    """Walks of every shape, and the DIDforSale bodies and CarrierX queries each account's
    fake received during them."""
    fakes = shared_contract.accounts
    bodies = {name: len(fake.bodies) for name, fake in fakes.dfs.items()}
    queries = {name: len(fake.queries) for name, fake in fakes.cx.items()}
    for direction, order in SHAPES:
        await walked(shared_contract, direction, order, size=100)
    return (
        {name: fake.bodies[bodies[name] :] for name, fake in fakes.dfs.items()},
        {name: fake.queries[queries[name] :] for name, fake in fakes.cx.items()},
    )


async def test_didforsale_bodies_carry_every_field(traffic):
    bodies, _ = traffic
    for sent in bodies.values():
        assert sent
        for body in sent:
            assert set(body) == {"start_date", "end_date", "last_record_number"}


async def test_carrierx_never_mixes_offset_with_a_sid(traffic):
    _, queries = traffic
    for sent in queries.values():
        assert sent
        for query in sent:
            assert not ({"after", "before"} <= query.keys())
            if "after" in query or "before" in query:
                assert "offset" not in query
            assert int(query["limit"]) <= 1000


async def test_a_walk_survives_the_provider_forgetting_its_page_tokens(own_contract):
    """Tokens are opaque and promised only for the next body: whatever an adapter keeps
    between GraphQL pages must fall back to the boundary when the provider refuses it."""
    fake = own_contract.accounts.dfs["dfs-lhi"]
    number = "+" + fake.listing()[-200]["sender"]
    record_filter = WINDOW_FILTER | {"number": number}
    expected = own_contract.accounts.expected(
        keep=lambda account, raw, at: number in numbers_of(raw)
    )

    async def forget(page: int) -> None:
        fake.forget_tokens()

    done = await walk(
        own_contract.gql,
        FORWARD,
        2,
        before_each=forget,
        order="CREATED_AT_ASC",
        filter=record_filter,
    )
    assert record_keys(done.records) == expected
    assert own_contract.accounts.refusals() == {}


async def walk_one_account(contract: Contract, account: str, size: int, between=None) -> list:
    """An ascending walk of one account's records; `between(page)` runs before each page."""
    done = await walk(
        contract.gql,
        FORWARD,
        size,
        before_each=between,
        order="CREATED_AT_ASC",
        filter=WINDOW_FILTER | {"providers": [account]},
    )
    return record_keys(done.records)


async def test_a_walk_survives_stale_page_tokens_answered_as_an_empty_last_page(own_contract):
    """A token kept in a cursor may come back as a successful, empty last page rather than
    a refusal; that must not end the walk early."""
    own_contract.accounts.dfs["dfs-lhi"].stale_answer = "empty"
    seen = await walk_one_account(own_contract, "dfs-lhi", 90)
    assert seen == own_contract.accounts.expected(
        keep=lambda account, raw, at: account == "dfs-lhi"
    )


async def test_rows_arriving_late_never_repeat_a_record(own_contract):
    """CDRs may arrive after their time: a row dated before the walk's position shifts the
    provider's pages, and a resumed page must not serve the previous page's records again."""
    fake = own_contract.accounts.dfs["dfs-ktm"]
    expected = own_contract.accounts.expected(keep=lambda account, raw, at: account == "dfs-ktm")
    first = next(row for row in fake.listing() if row["uuid"] == expected[0][1])
    late = [{**first, "uuid": str(9 * 10**17 + n)} for n in range(3)]

    async def arrive(page: int) -> None:
        if 2 <= page < 2 + len(late):
            fake.rows.append(late[page - 2])

    seen = await walk_one_account(own_contract, "dfs-ktm", 7, between=arrive)
    assert len(seen) == len(set(seen)), "no record twice"
    assert [key for key in seen if key[1] not in {row["uuid"] for row in late}] == expected


async def test_descending_ties_do_not_depend_on_carrierx_descending_tie_order():
    """A provider whose descending listing keeps same-millisecond ties in insertion order
    (a stable sort) must still give the exact reverse of the ascending walk."""
    deployed = await deploy({"dfs-lhi": 40, "dfs-ktm": 20, "alpha-cx": 40, "zulu-cx": 600})
    try:
        for fake in deployed.accounts.cx.values():
            fake.stable_descending = True
        expected = deployed.accounts.expected(descending=True)
        assert await walked(deployed, FORWARD, "CREATED_AT_DESC") == expected
        assert await walked(deployed, BACKWARD, "CREATED_AT_ASC") == deployed.accounts.expected()
    finally:
        await deployed.close()
