"""DIDforSale simulator over real HTTP: auth, date ranges, `last_record_number` paging."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

import aiohttp
import pytest

from gateway.simulators.control import FAULTS, Fault
from gateway.simulators.dataset import DidForSaleRow, generate_didforsale_rows
from gateway.simulators.didforsale import (
    DIDFORSALE_BASE_PATH,
    DIDFORSALE_ROWS,
    create_didforsale_app,
)

from .support import DFS_KEY, DFS_TOKEN, Served, served_at

WIDE = {"start_date": "2000-01-01", "end_date": "2100-12-31"}


def basic(user: str = DFS_KEY, password: str = DFS_TOKEN) -> dict[str, str]:
    encoded = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


async def cdr(
    http: aiohttp.ClientSession,
    served: Served,
    body: Any,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"data": body} if isinstance(body, str) else {"json": body}
    async with http.post(
        served.base + "/SMS/CDR", headers=basic() if headers is None else headers, **kwargs
    ) as response:
        assert response.status == 200
        return await response.json()


async def walk(
    http: aiohttp.ClientSession, served: Served, start: str, end: str
) -> tuple[list[dict[str, Any]], list[int]]:
    """Every page of a range: the rows and each page's last_record_number."""
    rows: list[dict[str, Any]] = []
    numbers: list[int] = []
    body = {"start_date": start, "end_date": end, "last_record_number": 0}
    while True:
        page = await cdr(http, served, body)
        assert page["status"] is True and page["code"] == 100, page
        rows += page["sms_cdr"]
        numbers.append(page["last_record_number"])
        if page["last_record_number"] == 0:
            return rows, numbers
        body = {**body, "last_record_number": page["last_record_number"]}


def rows_of(served: Served) -> list[DidForSaleRow]:
    return list(served.app[DIDFORSALE_ROWS])


async def test_walk_returns_every_row_once_in_order(http, dfs) -> None:
    rows, numbers = await walk(http, dfs, WIDE["start_date"], WIDE["end_date"])
    expected = rows_of(dfs)
    assert rows == [row.wire() for row in expected]
    assert len(numbers) == 3 and numbers[-1] == 0
    by_uuid = {row.uuid: row for row in expected}
    for page, number in zip(range(2), numbers, strict=False):
        assert number == by_uuid[rows[page * 500 + 499]["uuid"]].row_id
    assert numbers[1] - numbers[0] != 500, "not an offset"


async def test_row_ids_are_not_contiguous(dfs) -> None:
    ids = [row.row_id for row in rows_of(dfs)]
    assert any(b - a > 1 for a, b in pairwise(ids))


async def test_page_has_at_most_500_and_wire_fields_only(http, dfs) -> None:
    page = await cdr(http, dfs, WIDE)
    assert set(page) == {"status", "message", "sms_cdr", "last_record_number", "code"}
    assert page["message"] == "Success"
    assert len(page["sms_cdr"]) == 500
    assert set(page["sms_cdr"][0]) == {
        "sender", "reciever", "uuid", "message", "cost", "status", "direction", "date"
    }  # fmt: skip
    assert isinstance(page["sms_cdr"][0]["cost"], float)


async def test_range_bounds_are_inclusive_wall_clock_strings(http, dfs) -> None:
    rows = rows_of(dfs)
    first, last = rows[100].date, rows[220].date
    got, _ = await walk(http, dfs, first, last)
    expected = [row.wire() for row in rows if first <= row.date <= last]
    assert got == expected
    assert got[0]["date"] == first and got[-1]["date"] == last


async def test_date_only_bounds_cover_whole_days(http, dfs) -> None:
    day = rows_of(dfs)[600].date[:10]
    got, _ = await walk(http, dfs, day, day)
    assert got == [row.wire() for row in rows_of(dfs) if row.date[:10] == day]
    assert got


async def test_empty_range_succeeds(http, dfs) -> None:
    page = await cdr(http, dfs, {"start_date": "1999-01-01", "end_date": "1999-01-02"})
    assert page == {
        "status": True,
        "message": "Success",
        "sms_cdr": [],
        "last_record_number": 0,
        "code": 100,
    }


async def test_access_token_headers_authenticate(http, dfs) -> None:
    page = await cdr(http, dfs, WIDE, headers={"APIKEY": DFS_KEY, "accesstoken": DFS_TOKEN})
    assert page["status"] is True


@pytest.mark.parametrize(
    "headers",
    [
        {},
        basic(password="wrong"),
        basic(user="wrong"),
        {"Authorization": "Basic !!!not-base64"},
        {"Authorization": f"Bearer {DFS_TOKEN}"},
        {"APIKEY": DFS_KEY, "accesstoken": "wrong"},
        {"APIKEY": DFS_KEY},
    ],
)
async def test_bad_credentials_are_code_101(http, dfs, headers) -> None:
    page = await cdr(http, dfs, WIDE, headers=headers)
    assert page["status"] is False and page["code"] == 101
    assert set(page) == {"status", "message", "code"}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"start_date": "2026-01-01"},
        {"end_date": "2026-01-01"},
        {"start_date": "2026-02-01", "end_date": "2026-01-01"},
        {"start_date": "2026-01-01 10:00:00", "end_date": "2026-01-01 09:59:59"},
        {"start_date": "2026-13-01", "end_date": "2026-12-01"},
        {"start_date": "2026-01-01T00:00:00", "end_date": "2026-12-01"},
        {"start_date": "01/01/2026", "end_date": "2026-12-01"},
        {"start_date": 20260101, "end_date": "2026-12-01"},
        "not json",
        "[1, 2]",
    ],
)
async def test_bad_date_range_is_code_113(http, dfs, body) -> None:
    page = await cdr(http, dfs, body)
    assert page["status"] is False and page["code"] == 113


async def test_credentials_are_checked_before_the_body(http, dfs) -> None:
    page = await cdr(http, dfs, "not json", headers={})
    assert page["code"] == 101


@pytest.mark.parametrize("number", [-5, "abc", 1.5, True, [1]])
async def test_malformed_last_record_number_is_code_114(http, dfs, number) -> None:
    page = await cdr(http, dfs, {**WIDE, "last_record_number": number})
    assert page["status"] is False and page["code"] == 114


async def test_unknown_last_record_number_is_code_114(http, dfs) -> None:
    rows = rows_of(dfs)
    missing = next(i for i in range(rows[0].row_id, 10**9) if i not in {r.row_id for r in rows})
    page = await cdr(http, dfs, {**WIDE, "last_record_number": missing})
    assert page["status"] is False and page["code"] == 114


async def test_last_record_number_outside_the_range_is_code_114(http, dfs) -> None:
    rows = rows_of(dfs)
    body = {"start_date": rows[10].date, "end_date": rows[20].date}
    page = await cdr(http, dfs, {**body, "last_record_number": rows[500].row_id})
    assert page["code"] == 114


async def test_last_record_number_as_digit_string_continues(http, dfs) -> None:
    rows = rows_of(dfs)
    page = await cdr(http, dfs, {**WIDE, "last_record_number": str(rows[499].row_id)})
    assert page["sms_cdr"][0] == rows[500].wire()


async def test_stats_count_requests(http, dfs) -> None:
    async with http.get(dfs.root + "/_simulator/stats") as response:
        before = (await response.json())["requests"]
    await cdr(http, dfs, WIDE)
    await cdr(http, dfs, WIDE, headers={})
    async with http.get(dfs.root + "/_simulator/stats") as response:
        assert (await response.json())["requests"] == before + 2


async def test_injected_fault_answers_one_request(http) -> None:
    rows = generate_didforsale_rows(10, seed=1)
    async with served_at(
        create_didforsale_app(rows, api_key=DFS_KEY, token=DFS_TOKEN), DIDFORSALE_BASE_PATH
    ) as served:
        served.app[FAULTS].inject(Fault(status=429, retry_after=3))
        async with http.post(served.base + "/SMS/CDR", json=WIDE, headers=basic()) as response:
            assert response.status == 429 and response.headers["Retry-After"] == "3"
        async with http.post(
            served.root + "/_simulator/faults", json={"status": 503, "times": 2}
        ) as response:
            assert (await response.json())["queued"] == 2
        for status in (503, 503, 200):
            async with http.post(served.base + "/SMS/CDR", json=WIDE, headers=basic()) as response:
                assert response.status == status


async def test_rows_from_another_zone_are_refused() -> None:
    rows = generate_didforsale_rows(10, seed=1, timezone="Europe/Paris")
    with pytest.raises(ValueError, match="zone"):
        create_didforsale_app(rows, api_key="k", token="t", timezone="UTC")


async def test_added_row_appears_in_order(http) -> None:
    rows = generate_didforsale_rows(20, seed=1)
    async with served_at(
        create_didforsale_app(rows, api_key=DFS_KEY, token=DFS_TOKEN), DIDFORSALE_BASE_PATH
    ) as served:
        middle = served.app[DIDFORSALE_ROWS][10]
        extra = DidForSaleRow(
            max(r.row_id for r in rows) + 3, middle.instant, "1", "2", "999", "late", 0.01,
            "sent", "outbound", middle.date,
        )  # fmt: skip
        served.app[DIDFORSALE_ROWS].add(extra)
        got, _ = await walk(http, served, WIDE["start_date"], WIDE["end_date"])
        assert len(got) == 21
        assert [g["date"] for g in got] == sorted(g["date"] for g in got)
        assert got[[g["uuid"] for g in got].index("999") - 1]["date"] <= middle.date


CHICAGO = "America/Chicago"
LOCAL = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


async def test_dst_fall_back_dates_are_naive_and_sorted_as_strings(http) -> None:
    now = datetime(2026, 11, 2, 18, 0, tzinfo=UTC)
    rows = generate_didforsale_rows(3000, seed=8, timezone=CHICAGO, now=now, days=3)
    async with served_at(
        create_didforsale_app(
            rows, api_key=DFS_KEY, token=DFS_TOKEN, timezone=CHICAGO, page_size=200
        ),
        DIDFORSALE_BASE_PATH,
    ) as served:
        got, numbers = await walk(http, served, "2026-10-31", "2026-11-01")
    assert all(LOCAL.fullmatch(row["date"]) for row in got)
    assert [row["date"] for row in got] == sorted(row["date"] for row in got)
    in_range = [row for row in rows if "2026-10-31" <= row.date[:10] <= "2026-11-01"]
    assert got == [row.wire() for row in in_range]
    assert len(numbers) > 2
    repeated = [row for row in in_range if row.date.startswith("2026-11-01 01:")]
    offsets = {row.instant.hour for row in repeated}
    assert offsets == {6, 7}, "both passes of the repeated hour (CDT 06:xx, CST 07:xx UTC)"
    instants = [row.instant for row in repeated]
    assert instants != sorted(instants), "listed by wall clock, not by instant"
