"""`smsRecordStats` over the contract fakes: totals computed from the fakes' own data, the
days of zones whose clocks move by half an hour (Lord Howe) or sit at +05:45 (Kathmandu),
the filters of the walks, and the pages each fake was asked for."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from gateway.providers.segments import count_segments

from ..stats_oracle import STATS, Fact, expected, observed, sum_of_buckets
from .data import (
    FOLD_START,
    WINDOW_END,
    WINDOW_START,
    cx_created,
    dfs_created,
    direction_of,
    status_of,
)
from .deployment import WINDOW_FILTER, Contract, Keep, deploy
from .test_filters import cases

Row = tuple[Fact, dict[str, Any]]
"""A record as the contract reads it, with the raw row a filter case looks at."""


def rows(contract: Contract) -> list[Row]:
    """Every record in the window. DIDforSale rows are SMS with the segments the contract
    gives `SmsRecord` (counted from the text) and their cost as the price."""
    found: list[Row] = []
    for name, dfs in contract.accounts.dfs.items():
        for row in dfs.listing():
            message, cost = row["message"], row["cost"]
            fact = Fact(
                name,
                dfs_created(row, name),
                direction_of(row).upper(),
                status_of(row).upper(),
                "SMS",
                None if message is None else count_segments(message),
                None if cost is None else Decimal(str(cost)),
            )
            found.append((fact, row))
    for name, cx in contract.accounts.cx.items():
        for record in cx.ascending():
            segments, price = record["message_segments"], record["price"]
            fact = Fact(
                name,
                cx_created(record),
                direction_of(record).upper(),
                status_of(record).upper(),
                record["type"].upper(),
                segments if isinstance(segments, int) else None,
                None if price is None else Decimal(price),
            )
            found.append((fact, record))
    return [(f, raw) for f, raw in found if WINDOW_START <= f.created_at < WINDOW_END]


def facts(contract: Contract, keep: Keep | None = None) -> list[Fact]:
    return [
        fact
        for fact, raw in rows(contract)
        if keep is None or keep(fact.account, raw, fact.created_at)
    ]


async def stats(
    contract: Contract, group_by: list[str], narrowing: dict[str, Any], time_zone: str = "UTC"
) -> dict[str, Any]:
    variables = {"groupBy": group_by, "filter": WINDOW_FILTER | narrowing, "timeZone": time_zone}
    result = await contract.gql(STATS, variables)
    assert "errors" not in result, result
    return result["data"]["smsRecordStats"]


async def test_filtered_totals_are_the_contract(contract):
    for narrowing, keep in [({}, None), *cases(contract)]:
        result = await stats(contract, ["PROVIDER", "STATUS"], narrowing)
        assert observed(result) == expected(facts(contract, keep), ["PROVIDER", "STATUS"])
        assert result["complete"] is True, narrowing
    assert contract.accounts.refusals() == {}


@pytest.mark.parametrize(
    ("group_by", "zone"),
    [
        (["DAY", "PROVIDER"], "Australia/Lord_Howe"),
        (["DIRECTION", "DAY"], "Asia/Kathmandu"),
        (["HOUR", "TYPE"], "UTC"),
        (["TYPE", "STATUS"], "UTC"),
    ],
)
async def test_groupings_in_the_accounts_zones(contract, group_by, zone):
    result = await stats(contract, group_by, {}, zone)
    assert observed(result) == expected(facts(contract), group_by, zone)
    assert sum_of_buckets(result) == observed(result)["total"]


async def test_lord_howes_fall_back_day_lasts_24_and_a_half_hours(contract):
    """2024-04-07 there runs from 00:00 LHDT (13:00Z the day before) to 00:00 LHST (13:30Z)."""
    begin = FOLD_START - timedelta(hours=1, minutes=30)
    assert begin == datetime(2024, 4, 6, 13, tzinfo=UTC)
    end = begin + timedelta(hours=24, minutes=30)
    result = await stats(contract, ["DAY"], {}, "Australia/Lord_Howe")
    (day,) = [bucket for bucket in result["buckets"] if bucket["key"]["day"] == "2024-04-07"]
    assert day["count"] == sum(1 for fact in facts(contract) if begin <= fact.created_at < end)


async def test_each_account_is_read_once_in_its_largest_pages():
    """CarrierX: ceil(N/1000) `limit=1000` pages of only the fields the totals read.
    DIDforSale: ceil(N/500) pages of the one range asked, which holds the window. Some
    records have no price or no segment count."""
    contract = await deploy({"zulu-cx": 2500})
    try:
        for index, record in enumerate(contract.accounts.cx["zulu-cx"].records):
            if index % 7 == 0:
                record["price"] = None
            if index % 11 == 0:
                record["message_segments"] = None
        for index, row in enumerate(contract.accounts.dfs["dfs-ktm"].rows):
            if index % 5 == 0:
                row["cost"] = None
        result = await stats(contract, ["TYPE"], {})
        assert observed(result) == expected(facts(contract), ["TYPE"])
        assert result["total"]["unpricedCount"] > 0

        for name, dfs in contract.accounts.dfs.items():
            (asked,) = {(body["start_date"], body["end_date"]) for body in dfs.bodies}
            listed = [row for row in dfs.listing() if asked[0] <= row["date"] <= asked[1]]
            assert len(dfs.bodies) == math.ceil(len(listed) / 500), name
        for name, cx in contract.accounts.cx.items():
            held = sum(
                1 for record in cx.records if WINDOW_START <= cx_created(record) < WINDOW_END
            )
            assert len(cx.queries) == math.ceil(held / 1000), name
            assert {query["limit"] for query in cx.queries} == {"1000"}
            assert {query["include_fields"] for query in cx.queries} == {
                "date_insert,dr_sid,media_urls,message_segments,number_group_dst,price,type"
            }
        assert len(contract.accounts.dfs["dfs-lhi"].bodies) == 3
        assert len(contract.accounts.cx["zulu-cx"].queries) == 3
        assert contract.accounts.refusals() == {}
    finally:
        await contract.close()
