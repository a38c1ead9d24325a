"""Properties of `smsRecordStats` over random datasets, through real HTTP.

The datasets and filters are those of the walk properties (`test_properties`): bursts of
records around a DST change, ties within and across accounts, filter bounds on and around
records' instants; some records also lose their price. For any grouping and time zone, the
buckets add up to the total, both are what the test computes from the raw rows, and each
account was asked for exactly the pages its window needs.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, note
from hypothesis import strategies as st

from gateway.providers.segments import count_segments
from gateway.simulators.dataset import local_date
from tests.support.simulators import (
    Simulated,
    requests_served,
    simulator_stats,
    wall_instant,
)

from ..stats_oracle import KEYS, STATS, Fact, expected, observed, sum_of_buckets
from .test_properties import PROPERTY, Scenario, deploy, scenarios

ZONES = ("UTC", "America/Chicago", "Europe/Berlin", "Asia/Kathmandu", "Australia/Lord_Howe")


@st.composite
def cases(draw: st.DrawFn) -> tuple[Scenario, list[str], str]:
    """A scenario in which every `unpriced`-th record has no price, a grouping, a zone."""
    scenario = draw(scenarios())
    unpriced = draw(st.sampled_from((0, 1, 3, 7)))

    def priced(index: int) -> bool:
        return unpriced == 0 or index % unpriced != 0

    rows = [
        row if priced(index) else replace(row, cost=None)
        for index, row in enumerate(scenario.dfs_rows)
    ]
    cx = {
        name: [
            record if priced(index) else {**record, "price": None}
            for index, record in enumerate(records)
        ]
        for name, records in scenario.cx.items()
    }
    group_by = draw(st.lists(st.sampled_from(KEYS), unique=True, max_size=3))
    return replace(scenario, dfs_rows=rows, cx=cx), group_by, draw(st.sampled_from(ZONES))


def facts(scenario: Scenario) -> list[Fact]:
    """The records the filter selects, as the contract reads them."""
    dfs = {row.uuid: row for row in scenario.dfs_rows}
    cx = {(name, r["dr_sid"]): r for name, records in scenario.cx.items() for r in records}
    found = []
    for item in scenario.records:
        if not scenario.selected(item):
            continue
        if item.account == scenario.dfs_name:
            row = dfs[item.record_id]
            segments = count_segments(row.message)
            price = None if row.cost is None else str(row.cost)
        else:
            record = cx[item.account, item.record_id]
            segments, price = record["message_segments"], record["price"]
        found.append(
            Fact(
                item.account,
                item.created_at,
                item.direction.upper(),
                item.status.upper(),
                item.type.upper(),
                segments,
                None if price is None else Decimal(price),
            )
        )
    return found


async def dfs_range_rows(deployment: Simulated, scenario: Scenario) -> int:
    """Rows of the one wall-clock range the DIDforSale account was asked for."""
    asked_for = (await simulator_stats(deployment, scenario.dfs_name))["recent"]
    bodies = [entry["body"] for entry in asked_for]
    (asked,) = {(body["start_date"], body["end_date"]) for body in bodies}
    return sum(1 for row in scenario.dfs_rows if asked[0] <= row.date <= asked[1])


async def totals_and_calls(
    scenario: Scenario, group_by: list[str], zone: str
) -> tuple[dict[str, Any], dict[str, int], int]:
    """The totals on a fresh deployment, each account's calls, and the rows of the
    DIDforSale range (0 when it was not asked)."""
    deployment = await deploy(scenario)
    try:
        variables = {"filter": scenario.filter, "groupBy": group_by, "timeZone": zone}
        result = await deployment.gql(STATS, variables)
        made = await requests_served(deployment)
        rows = await dfs_range_rows(deployment, scenario) if made[scenario.dfs_name] else 0
    finally:
        await deployment.close()
    assert "errors" not in result, result["errors"]
    note(f"groupBy={group_by} timeZone={zone} calls={made} range rows={rows}")
    return result["data"]["smsRecordStats"], made, rows


@PROPERTY
@given(case=cases())
async def test_buckets_add_up_to_the_total_and_both_are_the_oracle(
    case: tuple[Scenario, list[str], str],
) -> None:
    scenario, group_by, zone = case
    result, _, _ = await totals_and_calls(scenario, group_by, zone)
    assert sum_of_buckets(result) == observed(result)["total"]
    assert observed(result) == expected(facts(scenario), group_by, zone)
    assert result["complete"] is True


def holds_a_date(start: datetime, end: datetime, zone: str) -> bool:
    """Whether a DIDforSale date (a wall-clock second, the repeated hour read as its first
    occurrence) can fall in `[start, end)`: some whole second in it reads back as itself."""
    moment = start.replace(microsecond=0) + timedelta(seconds=start.microsecond > 0)
    for _ in range(7200):
        if moment >= end:
            return False
        if wall_instant(local_date(moment, ZoneInfo(zone)), zone) == moment:
            return True
        moment += timedelta(seconds=1)
    return True


@PROPERTY
@given(case=cases())
async def test_each_account_is_asked_for_the_least_pages(
    case: tuple[Scenario, list[str], str],
) -> None:
    """DIDforSale: ceil(N/500) calls for the N rows of the range it lists, none when the
    range holds no whole second (its dates have none to list); CarrierX (at most 158
    records an account): one call. An account the filter rules out: none."""
    scenario, group_by, zone = case
    _, made, rows = await totals_and_calls(scenario, group_by, zone)
    holds_a_second = holds_a_date(*scenario.window, scenario.zone)
    for name, count in made.items():
        if not scenario.reachable(name):
            assert count == 0, name
        elif name == scenario.dfs_name:
            assert count == (max(1, math.ceil(rows / 500)) if holds_a_second else 0)
        else:
            assert count == 1, name
