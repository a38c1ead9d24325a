"""Filtered walks over the fakes: what CarrierX narrows server-side (under the fake's SQL
reading of its grammar, in which null matches no operator) and what the gateway narrows
itself must add up to the contract. Some records have a null direction or status."""

from datetime import timedelta
from typing import Any

import pytest

from tests.support.relay import FORWARD

from .data import FOLD_START, direction_of, numbers_of, status_of
from .deployment import WINDOW_FILTER, Contract, Keep
from .test_walks import ORDERS, walked


def is_mms(raw: dict[str, Any]) -> bool:
    return raw.get("type") == "mms"


def cases(contract: Contract) -> list[tuple[dict[str, Any], Keep]]:
    member = next(
        f"+{raw['number_group_dst'][-1]}"
        for raw in contract.accounts.cx["zulu-cx"].ascending()[200:]
        if raw["number_group_dst"]
    )
    low = FOLD_START + timedelta(minutes=10, microseconds=500)
    high = FOLD_START + timedelta(minutes=50, milliseconds=3)
    return [
        ({"direction": "OUTBOUND"}, lambda a, r, t: direction_of(r) == "outbound"),
        ({"direction": "UNDIRECTED"}, lambda a, r, t: direction_of(r) == "undirected"),
        (
            {"statuses": ["DELIVERED", "SENT"]},
            lambda a, r, t: status_of(r) in ("delivered", "sent"),
        ),
        (
            {"statuses": ["UNKNOWN", "QUEUED"]},
            lambda a, r, t: status_of(r) in ("unknown", "queued"),
        ),
        ({"type": "MMS"}, lambda a, r, t: is_mms(r)),
        (
            {"type": "SMS", "direction": "INBOUND"},
            lambda a, r, t: not is_mms(r) and direction_of(r) == "inbound",
        ),
        ({"number": member}, lambda a, r, t: member in numbers_of(r)),
        ({"providers": ["dfs-ktm", "zulu-cx"]}, lambda a, r, t: a in ("dfs-ktm", "zulu-cx")),
        (
            {"createdAfter": low.isoformat(), "createdBefore": high.isoformat()},
            lambda a, r, t: low <= t < high,
        ),
    ]


@pytest.mark.parametrize("order", ORDERS)
async def test_filtered_walks_are_the_contract_order(contract, order):
    for narrowing, keep in cases(contract):
        expected = contract.accounts.expected(descending=order == "CREATED_AT_DESC", keep=keep)
        assert expected, narrowing
        walked_keys = await walked(contract, FORWARD, order, WINDOW_FILTER | narrowing)
        assert walked_keys == expected, narrowing
    assert contract.accounts.refusals() == {}
