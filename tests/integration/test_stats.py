"""`smsRecordStats` over the simulators, against totals the test computes from their datasets.

Every grouping of one and two keys, filters, days across DST changes, failing accounts and
the call limit; upstream calls are counted by the simulators and asserted exactly.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from gateway.providers.segments import count_segments
from tests.support.simulators import (
    Simulated,
    control,
    requests_served,
    simulator_stats,
    upstream_requests,
)

from ..stats_oracle import KEYS, STATS, Fact, expected, observed, sum_of_buckets
from .accounts import cx_instant, deploy

NOW = datetime(2025, 6, 15, 12, tzinfo=UTC)
WINDOW = {
    "createdAfter": (NOW - timedelta(days=30)).isoformat(),
    "createdBefore": (NOW + timedelta(hours=1)).isoformat(),
}
"""Holds every record of a deployment made at `NOW`."""
FAST_RETRY = {"retries": 2, "retry_backoff_seconds": 0.001, "retry_backoff_max_seconds": 0.01}

Record = tuple[Fact, frozenset[str]]
"""A record as the contract reads it, and every number it involves."""


def records(deployment: Simulated) -> list[Record]:
    """Every record of the deployment. DIDforSale rows are SMS, their segments those the
    contract gives `SmsRecord` (counted from the text), their cost the price."""
    datasets = deployment.accounts
    found: list[Record] = [
        (
            Fact(
                name,
                datasets.dfs_instant(row),
                row.direction.upper(),
                row.status.upper(),
                "SMS",
                count_segments(row.message),
                Decimal(str(row.cost)),
            ),
            frozenset({f"+{row.sender}", f"+{row.reciever}"}),
        )
        for name, rows in datasets.dfs.items()
        for row in rows
    ]
    for name, items in datasets.cx.items():
        found += [
            (
                Fact(
                    name,
                    cx_instant(item),
                    item["direction"].upper(),
                    item["status"].upper(),
                    item["type"].upper(),
                    item["message_segments"],
                    None if item["price"] is None else Decimal(item["price"]),
                ),
                frozenset(
                    f"+{n}"
                    for n in (item["number_src"], item["number_dst"], *item["number_group_dst"])
                ),
            )
            for item in items
        ]
    return found


def facts(deployment: Simulated, keep: Any = None) -> list[Fact]:
    return [fact for fact, numbers in records(deployment) if keep is None or keep(fact, numbers)]


async def stats(
    deployment: Simulated,
    group_by: list[str],
    filter: dict[str, Any] | None = None,
    time_zone: str = "UTC",
) -> dict[str, Any]:
    variables = {"groupBy": group_by, "filter": filter, "timeZone": time_zone}
    result = await deployment.gql(STATS, variables)
    assert result.get("data"), result
    return result


async def recent(deployment: Simulated, name: str) -> list[dict[str, Any]]:
    return (await simulator_stats(deployment, name))["recent"]


async def inject(deployment: Simulated, name: str, *faults: dict[str, Any]) -> None:
    for fault in faults:
        await control(deployment, name, "faults", fault)


@pytest.fixture(scope="module")
async def stack() -> AsyncIterator[Simulated]:
    deployed = await deploy(now=NOW)
    yield deployed
    await deployed.close()


@pytest.fixture
async def fresh() -> AsyncIterator[Simulated]:
    """Larger accounts, an empty cache and zeroed counters: 6, 3 and 1 pages to read."""
    deployed = await deploy(
        dfs_count=2600, cx_counts=(2300, 150), now=NOW, cache={"ttl_seconds": 600}
    )
    yield deployed
    await deployed.close()


GROUPINGS = [
    [],
    *([key] for key in KEYS),
    *(list(pair) for pair in itertools.permutations(KEYS, 2)),
]


@pytest.mark.parametrize("group_by", GROUPINGS, ids="-".join)
async def test_every_grouping_of_one_and_two_keys_is_the_oracle(stack, group_by):
    result = (await stats(stack, group_by, WINDOW, "America/Chicago"))["data"]["smsRecordStats"]
    assert observed(result) == expected(facts(stack), group_by, "America/Chicago")
    assert sum_of_buckets(result) == observed(result)["total"]
    assert result["complete"] is True
    assert [s["provider"] for s in result["providerStatus"]] == ["dfs", "cx-a", "cx-b"]
    assert all(s["ok"] for s in result["providerStatus"])


def filter_cases(deployment: Simulated) -> list[tuple[dict[str, Any], Any]]:
    """(filter, what it keeps) pairs: pushed down, applied in the gateway, or both."""
    group_member = next(
        f"+{item['number_group_dst'][0]}"
        for item in deployment.accounts.cx["cx-a"]
        if item["number_group_dst"]
    )
    times = sorted(fact.created_at for fact in facts(deployment))
    low, high = times[100], times[900]
    return [
        ({"direction": "OUTBOUND"}, lambda f, n: f.direction == "OUTBOUND"),
        ({"direction": "UNDIRECTED"}, lambda f, n: f.direction == "UNDIRECTED"),
        ({"statuses": ["DELIVERED", "FAILED"]}, lambda f, n: f.status in ("DELIVERED", "FAILED")),
        ({"statuses": ["UNKNOWN"]}, lambda f, n: f.status == "UNKNOWN"),
        ({"type": "MMS"}, lambda f, n: f.type == "MMS"),
        (
            {"direction": "INBOUND", "type": "SMS"},
            lambda f, n: f.direction == "INBOUND" and f.type == "SMS",
        ),
        ({"number": group_member}, lambda f, n: group_member in n),
        ({"providers": ["cx-b", "dfs"]}, lambda f, n: f.account in ("cx-b", "dfs")),
        (
            {"createdAfter": low.isoformat(), "createdBefore": high.isoformat()},
            lambda f, n: low <= f.created_at < high,
        ),
    ]


async def test_every_filter_of_smsrecords_narrows_the_totals(stack):
    for narrowing, keep in filter_cases(stack):
        chosen = WINDOW | narrowing
        result = (await stats(stack, ["PROVIDER", "STATUS"], chosen))["data"]["smsRecordStats"]
        assert observed(result) == expected(facts(stack, keep), ["PROVIDER", "STATUS"]), chosen
        assert result["complete"] is True


async def test_the_default_window_is_that_of_smsrecords():
    """No filter: the last `default_window_days` (30) up to now, as for a walk."""
    deployed = await deploy(dfs_count=300, cx_counts=(200,), now=datetime.now(UTC))
    try:
        result = (await stats(deployed, ["PROVIDER"]))["data"]["smsRecordStats"]
        assert observed(result) == expected(facts(deployed), ["PROVIDER"])
    finally:
        await deployed.close()


async def test_segments_and_prices_are_those_of_the_listed_records(stack):
    """Totals add up what `smsRecords` shows of each record (DIDforSale segments included)."""
    page = """query($after: String, $filter: SmsRecordFilter) {
      smsRecords(first: 100, after: $after, filter: $filter, orderBy: CREATED_AT_ASC) {
        nodes { provider { name } segments price }
        pageInfo { hasNextPage endCursor }
      }
    }"""
    listed: dict[str, dict[str, Any]] = {}
    after = None
    while True:
        result = await stack.gql(page, {"after": after, "filter": WINDOW})
        connection = result["data"]["smsRecords"]
        for node in connection["nodes"]:
            sums = listed.setdefault(
                node["provider"]["name"], {"count": 0, "segments": 0, "price": Decimal(0)}
            )
            sums["count"] += 1
            sums["segments"] += node["segments"] or 0
            sums["price"] += Decimal(node["price"] or 0)
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    result = (await stats(stack, ["PROVIDER"], WINDOW))["data"]["smsRecordStats"]
    totals = {
        bucket["key"]["provider"]: {
            "count": bucket["count"],
            "segments": bucket["segments"],
            "price": bucket["price"],
        }
        for bucket in observed(result)["buckets"]
    }
    assert totals == listed


async def test_buckets_list_enum_values_in_schema_declaration_order(stack):
    introspect = '{ __type(name: "%s") { enumValues { name } } }'
    for key, enum in (("STATUS", "SmsStatus"), ("DIRECTION", "Direction"), ("TYPE", "MessageType")):
        declared = await stack.gql(introspect % enum)
        order = [value["name"] for value in declared["data"]["__type"]["enumValues"]]
        result = (await stats(stack, [key], WINDOW))["data"]["smsRecordStats"]
        shown = [bucket["key"][key.lower()] for bucket in result["buckets"]]
        assert len(shown) > 1
        assert shown == [value for value in order if value in shown]


async def test_the_window_is_read_once_in_the_largest_pages(fresh):
    """ceil(N/500) DIDforSale calls and ceil(N/1000) CarrierX calls, `include_fields` for
    only what the totals read, the filter pushed down; a second scan of the same window
    finds every DIDforSale page in the cache."""
    result = await stats(fresh, [], WINDOW)
    assert result["data"]["smsRecordStats"]["total"]["count"] == 2600 + 2300 + 150
    assert await requests_served(fresh) == {"dfs": 6, "cx-a": 3, "cx-b": 1}
    listed = [r["query"] for r in await recent(fresh, "cx-a")]
    assert [q["limit"] for q in listed] == ["1000"] * 3
    assert {q["include_fields"] for q in listed} == {"date_insert,dr_sid,message_segments,price"}
    assert "after" not in listed[0] and listed[1]["after"] and listed[2]["after"]

    narrowing = WINDOW | {"direction": "OUTBOUND", "statuses": ["DELIVERED", "SENT"]}
    result = await stats(fresh, ["STATUS", "TYPE"], narrowing)

    def keep(fact: Fact, numbers: frozenset[str]) -> bool:
        return fact.direction == "OUTBOUND" and fact.status in ("DELIVERED", "SENT")

    stats_data = result["data"]["smsRecordStats"]
    assert observed(stats_data) == expected(facts(fresh, keep), ["STATUS", "TYPE"])
    matching = sum(1 for fact in facts(fresh, keep) if fact.account == "cx-a")
    assert 1000 < matching <= 2000
    assert await requests_served(fresh) == {"dfs": 6, "cx-a": 3 + 2, "cx-b": 1 + 1}
    query = (await recent(fresh, "cx-a"))[-1]["query"]
    assert "direction eq 'outbound'" in query["filter"]
    assert "status in ('delivered','sent')" in query["filter"]
    assert set(query["include_fields"].split(",")) == {
        "date_insert",
        "direction",
        "dr_sid",
        "media_urls",
        "message_segments",
        "number_group_dst",
        "price",
        "status",
        "type",
    }


async def test_totals_and_oldest_first_walks_share_didforsale_pages():
    """A walk's pages serve the totals that follow it, and the other way round."""
    deployed = await deploy(dfs_count=1200, cx_counts=(50,), now=NOW, cache={"ttl_seconds": 600})
    page = """query($after: String, $filter: SmsRecordFilter) {
      smsRecords(first: 100, after: $after, filter: $filter, orderBy: CREATED_AT_ASC) {
        nodes { id } pageInfo { hasNextPage endCursor }
      }
    }"""

    async def walk(window: dict[str, str]) -> int:
        seen, after = 0, None
        while True:
            connection = (await deployed.gql(page, {"after": after, "filter": window}))["data"]
            seen += len(connection["smsRecords"]["nodes"])
            if not connection["smsRecords"]["pageInfo"]["hasNextPage"]:
                return seen
            after = connection["smsRecords"]["pageInfo"]["endCursor"]

    other = WINDOW | {"createdAfter": (NOW - timedelta(days=31)).isoformat()}
    try:
        assert await walk(WINDOW) == 1250
        assert await upstream_requests(deployed, "dfs") == 3
        await stats(deployed, ["DAY"], WINDOW)
        assert await upstream_requests(deployed, "dfs") == 3

        await stats(deployed, ["DAY"], other)
        assert await upstream_requests(deployed, "dfs") == 6
        assert await walk(other) == 1250
        assert await upstream_requests(deployed, "dfs") == 6
    finally:
        await deployed.close()


@pytest.mark.parametrize(
    ("now", "day", "start", "hours"),
    [
        (datetime(2024, 11, 20, 12, tzinfo=UTC), "2024-11-03", datetime(2024, 11, 3, 5), 25),
        (datetime(2025, 3, 20, 12, tzinfo=UTC), "2025-03-09", datetime(2025, 3, 9, 6), 23),
    ],
    ids=["fall-back", "spring-forward"],
)
async def test_a_dst_day_in_chicago_lasts_as_long_as_it_does_there(now, day, start, hours):
    """The day's bucket holds the records of its 25 (or 23) hours, counted here from
    explicit UTC bounds; every other bucket matches the oracle too."""
    deployed = await deploy(dfs_count=1500, cx_counts=(900,), now=now)
    window = {
        "createdAfter": (now - timedelta(days=30)).isoformat(),
        "createdBefore": now.isoformat(),
    }
    try:
        result = await stats(deployed, ["DAY", "PROVIDER"], window, "America/Chicago")
        data = result["data"]["smsRecordStats"]
        assert observed(data) == expected(facts(deployed), ["DAY", "PROVIDER"], "America/Chicago")
        begin = start.replace(tzinfo=UTC)
        end = begin + timedelta(hours=hours)
        inside = [fact for fact in facts(deployed) if begin <= fact.created_at < end]
        on_day = [bucket for bucket in data["buckets"] if bucket["key"]["day"] == day]
        assert sum(bucket["count"] for bucket in on_day) == len(inside) > 0

        hourly = (await stats(deployed, ["HOUR"], window, "America/Chicago"))["data"]
        hours_shown = [b["key"]["hour"] for b in hourly["smsRecordStats"]["buckets"]]
        assert all(hour.endswith(":00:00.000Z") for hour in hours_shown)
        assert hours_shown == sorted(set(hours_shown))
    finally:
        await deployed.close()


async def test_a_failed_account_leaves_the_others_totals_exact():
    """DIDforSale fails on its second page (its first page's records must not count),
    CarrierX `cx-b` is unavailable through every retry; `cx-a` is counted whole."""
    deployed = await deploy(now=NOW, policy=FAST_RETRY)
    try:
        failure = {"status": False, "message": "Service temporarily unavailable", "code": 199}
        await inject(deployed, "dfs", {"status": None}, {"status": 200, "body": failure})
        await inject(deployed, "cx-b", {"status": 503, "times": 3})
        result = await stats(deployed, ["PROVIDER", "DAY"], WINDOW, "America/Chicago")
        data = result["data"]["smsRecordStats"]
        kept = facts(deployed, lambda fact, numbers: fact.account == "cx-a")
        assert observed(data) == expected(kept, ["PROVIDER", "DAY"], "America/Chicago")
        assert data["complete"] is False
        status = {s["provider"]: s for s in data["providerStatus"]}
        assert status["cx-a"] == {"provider": "cx-a", "ok": True, "code": None, "message": None}
        assert (status["dfs"]["ok"], status["dfs"]["code"]) == (False, "PROVIDER_ERROR")
        assert (status["cx-b"]["ok"], status["cx-b"]["code"]) == (False, "PROVIDER_UNAVAILABLE")
        named = {e["extensions"]["provider"]: e["extensions"]["code"] for e in result["errors"]}
        assert named == {"dfs": "PROVIDER_ERROR", "cx-b": "PROVIDER_UNAVAILABLE"}
        assert await requests_served(deployed) == {"dfs": 2, "cx-a": 1, "cx-b": 3}
    finally:
        await deployed.close()


@pytest.mark.parametrize(("rows", "complete"), [(1200, False), (1000, True)])
async def test_max_stats_calls_bounds_each_accounts_calls(rows, complete):
    """With `max_stats_calls = 2`, 1200 DIDforSale rows stop after two pages, holding the
    first 1000 of the listing; 1000 rows (two pages exactly) are read whole."""
    deployed = await deploy(
        dfs_count=rows, cx_counts=(600,), settings={"limits": {"max_stats_calls": 2}}
    )
    try:
        result = await stats(deployed, ["PROVIDER"])
        data = result["data"]["smsRecordStats"]
        read = facts(deployed)[:1000] + facts(deployed)[rows:]
        assert observed(data) == expected(read, ["PROVIDER"])
        assert data["complete"] is complete
        assert await requests_served(deployed) == {"dfs": 2, "cx-a": 1}
        dfs = data["providerStatus"][0]
        if complete:
            assert dfs["ok"] is True and "errors" not in result
        else:
            assert (dfs["ok"], dfs["code"]) == (False, "BAD_USER_INPUT")
            assert "max_stats_calls" in dfs["message"] and "1000" in dfs["message"]
            assert [e["extensions"] for e in result["errors"]] == [
                {"code": "BAD_USER_INPUT", "provider": "dfs"}
            ]
    finally:
        await deployed.close()


@pytest.mark.parametrize(
    "variables",
    [
        {"timeZone": "Mars/Olympus_Mons"},
        {"timeZone": "america/chicago"},
        {"timeZone": ""},
        {"groupBy": ["DAY", "HOUR", "DAY"]},
        {"groupBy": ["WEEK"]},
        {"filter": {"providers": ["nope"]}},
        {"filter": {"number": "5551234"}},
        {
            "filter": {
                "createdAfter": "2025-06-02T00:00:00Z",
                "createdBefore": "2025-06-01T00:00:00Z",
            }
        },
    ],
)
async def test_bad_arguments_are_refused_before_any_upstream_call(stack, variables):
    before = await requests_served(stack)
    result = await stack.gql(STATS, {"groupBy": [], "timeZone": "UTC"} | variables)
    assert result.get("data") is None  # no entry at all when the variables do not fit
    assert [error["extensions"]["code"] for error in result["errors"]] == ["BAD_USER_INPUT"]
    assert await requests_served(stack) == before


async def test_an_unknown_account_gets_the_message_smsrecords_gives(stack):
    listing = await stack.gql('{ smsRecords(filter: { providers: ["nope"] }) { nodes { id } } }')
    totals = await stack.gql('{ smsRecordStats(filter: { providers: ["nope"] }) { complete } }')
    assert totals["errors"][0]["message"] == listing["errors"][0]["message"]
