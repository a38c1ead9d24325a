"""CarrierX `filter` grammar and field filtering, checked against the dataset itself."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from gateway.simulators.carrierx import CARRIERX_RECORDS
from gateway.simulators.carrierx_query import FIELDS

from .support import cx_get, cx_ok

Record = dict[str, Any]


def when(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def matching(http, cx, filter_text: str) -> list[str]:
    status, page = await cx_get(
        http, cx.base + "/sms/message_drs", limit="1000", filter=filter_text
    )
    assert status == 200, page
    return [item["dr_sid"] for item in page["items"]]


def expected(cx, keep: Callable[[Record], bool]) -> list[str]:
    return [r["dr_sid"] for r in cx.app[CARRIERX_RECORDS] if keep(r)]


CASES: list[tuple[str, Callable[[Record], bool]]] = [
    ("status eq 'delivered'", lambda r: r["status"] == "delivered"),
    ('status eq "delivered"', lambda r: r["status"] == "delivered"),
    ("status ne 'delivered'", lambda r: r["status"] != "delivered"),
    ("status EQ 'sent'", lambda r: r["status"] == "sent"),
    ("status in ('sent', 'queued')", lambda r: r["status"] in ("sent", "queued")),
    ("status notin ('sent','queued')", lambda r: r["status"] not in ("sent", "queued")),
    ("provider lt 'c'", lambda r: r["provider"] < "c"),
    ("mcc gt '310'", lambda r: r["mcc"] > 310),
    ("mcc eq '310.0'", lambda r: r["mcc"] == 310),
    ("mnc in ('999', '220')", lambda r: r["mnc"] in (999, 220)),
    ("price ge '0.01'", lambda r: Decimal(r["price"]) >= Decimal("0.01")),
    ("price le '0.005'", lambda r: Decimal(r["price"]) <= Decimal("0.005")),
    ("message_segments gt '1'", lambda r: r["message_segments"] > 1),
    ("message like '%code%'", lambda r: r["message"] is not None and "code" in r["message"]),
    ("message like 'Hello%'", lambda r: (r["message"] or "").startswith("Hello")),
    (
        "message ilike '%STOP%'",
        lambda r: r["message"] is not None and "stop" in r["message"].lower(),
    ),
    ("message like '%STOP%'", lambda r: "STOP" in (r["message"] or "")),
    ("user_data ne 'test_message'", lambda r: r["user_data"] != "test_message"),
    ("user_data eq 'test_message'", lambda r: r["user_data"] == "test_message"),
    ("passthrough_rate eq '0.003'", lambda r: r["passthrough_rate"] == "0.003"),
    ("version ge '1'", lambda r: r["version"] is not None),
    ("number_group_dst like '1%'", lambda r: any(n.startswith("1") for n in r["number_group_dst"])),
    ("media_urls ne 'x'", lambda r: True),
    ("date_stop lt '2026-11-05T00:00:00Z'",
     lambda r: r["date_stop"] is not None and when(r["date_stop"]) < when("2026-11-05T00:00:00Z")),
    (
        "date_insert ge 2026-11-10T00:00:00Z and date_insert lt '2026-11-12T00:00:00.000Z'",
        lambda r: "2026-11-10T00:00:00.000Z" <= r["date_insert"] < "2026-11-12T00:00:00.000Z",
    ),
    (
        "date_insert gt '2026-11-10T01:00:00+01:00'",
        lambda r: r["date_insert"] > "2026-11-10T00:00:00.000Z",
    ),
    ("date_insert le '2026-11-01'", lambda r: r["date_insert"] <= "2026-11-01T00:00:00.000Z"),
    (
        "direction eq 'outbound' and type eq 'mms' AND status in ('sent','delivered')",
        lambda r: r["direction"] == "outbound"
        and r["type"] == "mms"
        and r["status"] in ("sent", "delivered"),
    ),
    ("  ", lambda r: True),
]  # fmt: skip


@pytest.mark.parametrize(("filter_text", "keep"), CASES, ids=[case[0] for case in CASES])
async def test_filter_matches_reference(http, cx, filter_text, keep) -> None:
    assert await matching(http, cx, filter_text) == expected(cx, keep)


async def test_filter_cases_are_not_trivial(cx) -> None:
    sizes = [len(expected(cx, keep)) for _, keep in CASES]
    assert all(size > 0 for size in sizes)
    assert sum(size < len(cx.app[CARRIERX_RECORDS]) for size in sizes) >= len(CASES) - 3


async def test_date_equality_and_array_membership(http, cx) -> None:
    records = list(cx.app[CARRIERX_RECORDS])
    record = next(r for r in records if len(r["number_group_dst"]) > 1)
    got = await matching(http, cx, f"date_insert eq '{record['date_insert']}'")
    assert got == [r["dr_sid"] for r in records if r["date_insert"] == record["date_insert"]]
    member = record["number_group_dst"][0]
    got = await matching(http, cx, f"number_group_dst eq '{member}'")
    assert record["dr_sid"] in got
    assert got == [r["dr_sid"] for r in records if member in r["number_group_dst"]]
    got = await matching(http, cx, f"dr_sid in ('{record['dr_sid']}')")
    assert got == [record["dr_sid"]]


@pytest.mark.parametrize(
    "filter_text",
    [
        "status eq 'sent' or status eq 'queued'",
        "status eq sent",
        "mcc eq 310",
        "status equals 'sent'",
        "colour eq 'red'",
        "status eq 'sent",
        "status eq 'sent' and",
        "status eq 'sent' status eq 'queued'",
        "status in 'sent'",
        "status in ('sent' 'queued')",
        "status in ('sent',",
        "mcc gt 'many'",
        "date_insert gt 'yesterday'",
        "date_insert gt tomorrow",
        "media_urls gt 'a'",
        "status",
        "eq 'sent'",
    ],
)
async def test_bad_filters_are_400(http, cx, filter_text) -> None:
    status, body = await cx_get(http, cx.base + "/sms/message_drs", filter=filter_text)
    assert status == 400, filter_text
    assert body["errors"][0]["field"] == "filter"


async def test_include_fields(http, cx) -> None:
    page = await cx_ok(http, cx.base + "/sms/message_drs", include_fields="status, dr_sid,price")
    assert all(list(item) == ["dr_sid", "price", "status"] for item in page["items"])


async def test_exclude_fields(http, cx) -> None:
    page = await cx_ok(http, cx.base + "/sms/message_drs", exclude_fields="message,media_urls")
    expected_fields = [f for f in FIELDS if f not in ("message", "media_urls")]
    assert all(list(item) == expected_fields for item in page["items"])


async def test_field_filtering_on_one_record(http, cx) -> None:
    sid = cx.app[CARRIERX_RECORDS][3]["dr_sid"]
    status, record = await cx_get(
        http, f"{cx.base}/sms/message_drs/{sid}", include_fields="dr_sid,user_data"
    )
    assert status == 200 and record == {
        "dr_sid": sid,
        "user_data": cx.app[CARRIERX_RECORDS][3]["user_data"],
    }
