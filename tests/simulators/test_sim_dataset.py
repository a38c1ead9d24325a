"""The generated datasets are deterministic and carry the quirks the adapters must survive."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from itertools import pairwise

from gateway.simulators.carrierx_query import FIELDS
from gateway.simulators.dataset import (
    CARRIERX_STATUSES,
    DIDFORSALE_STATUSES,
    generate_carrierx_records,
    generate_didforsale_rows,
    segments,
)

from .support import NOW

ISO_MILLIS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")
LOCAL = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


def test_didforsale_rows_are_deterministic() -> None:
    assert generate_didforsale_rows(300, 1, now=NOW) == generate_didforsale_rows(300, 1, now=NOW)
    assert generate_didforsale_rows(300, 1, now=NOW) != generate_didforsale_rows(300, 2, now=NOW)


def test_didforsale_rows_order_ids_and_ties() -> None:
    rows = generate_didforsale_rows(2000, 9, now=NOW, days=10)
    assert [(r.date, r.row_id) for r in rows] == sorted((r.date, r.row_id) for r in rows)
    ids = [r.row_id for r in rows]
    assert ids == sorted(set(ids)), "UTC: row ids grow in listed order, unique"
    assert any(b - a > 1 for a, b in pairwise(ids)), "ids have gaps"
    assert all(NOW - timedelta(days=10) < r.instant <= NOW for r in rows)
    assert all(r.instant.microsecond == 0 for r in rows)
    tied = sum(n for n in Counter(r.date for r in rows).values() if n > 1)
    assert tied >= len(rows) * 0.1
    uuids = [r.uuid for r in rows]
    assert len(set(uuids)) == len(uuids) and all(u.isdigit() for u in uuids)
    assert uuids != sorted(uuids)


def test_didforsale_row_fields() -> None:
    rows = generate_didforsale_rows(2000, 9, now=NOW)
    for row in rows:
        assert LOCAL.fullmatch(row.date)
        assert row.sender.isdigit() and row.reciever.isdigit()
        assert row.status in DIDFORSALE_STATUSES
        assert (row.direction == "inbound") == (row.status == "received")
        assert isinstance(row.cost, float) and row.cost > 0
        assert list(row.wire()) == [
            "sender", "reciever", "uuid", "message", "cost", "status", "direction", "date"
        ]  # fmt: skip
    assert {r.status for r in rows} == set(DIDFORSALE_STATUSES)
    assert any(len(r.message) > 160 for r in rows)
    assert any(not r.message.isascii() for r in rows)


def test_didforsale_dates_follow_the_zone() -> None:
    rows = generate_didforsale_rows(50, 4, timezone="Asia/Kolkata", now=NOW)
    for row in rows:
        assert row.date == (row.instant + timedelta(hours=5, minutes=30)).strftime(
            "%Y-%m-%d %H:%M:%S"
        )


def test_carrierx_records_are_deterministic_and_complete() -> None:
    records = generate_carrierx_records(1500, 2, now=NOW)
    assert records == generate_carrierx_records(1500, 2, now=NOW)
    assert all(list(record) == list(FIELDS) for record in records)
    assert [r["date_insert"] for r in records] == sorted(r["date_insert"] for r in records)
    assert {r["status"] for r in records} == set(CARRIERX_STATUSES)
    assert {r["direction"] for r in records} == {"inbound", "outbound", "undirected"}
    assert {r["type"] for r in records} == {"sms", "mms"}
    assert max(Counter(r["date_insert"] for r in records).values()) > 1
    assert len({r["dr_sid"] for r in records}) == len(records)


def test_carrierx_record_values() -> None:
    records = generate_carrierx_records(1500, 2, now=NOW)
    for r in records:
        for field in ("date_changed", "date_insert", "date_start"):
            assert ISO_MILLIS.fullmatch(r[field])
        for field in ("date_sent", "date_stop"):
            assert r[field] is None or ISO_MILLIS.fullmatch(r[field])
        assert r["date_insert"] <= r["date_changed"] <= "2026-11-20T12:00:00.000Z"
        for field in ("price", "rate", "mcc_mnc_price", "mcc_mnc_rate"):
            assert isinstance(r[field], str) and Decimal(r[field]) >= 0
        for field in ("passthrough_price", "passthrough_rate"):
            assert r[field] is None or isinstance(r[field], str)
        assert isinstance(r["mcc"], int) and isinstance(r["mnc"], int)
        for field in ("number_src", "number_dst", "number_billing", "number_external"):
            assert r[field].isdigit()
        assert (r["type"] == "mms") == bool(r["media_urls"] or r["number_group_dst"])
        if r["type"] == "mms":
            assert r["message_segments"] == 1
        else:
            assert r["message_segments"] == segments(r["message"])
        outbound = r["direction"] != "inbound"
        assert r["number_billing"] == (r["number_src"] if outbound else r["number_dst"])
    assert any(r["message"] is None for r in records)
    assert any(r["passthrough_price"] is not None for r in records)
    assert any(r["number_group_dst"] and not r["media_urls"] for r in records)


def test_segments() -> None:
    assert segments("a" * 160) == 1
    assert segments("a" * 161) == 2
    assert segments("😀" * 35) == 1
    assert segments("😀" * 36) == 2
