from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from gateway.errors import MalformedRecordId, ProviderError
from gateway.providers.base import Boundary, StreamQuery
from gateway.providers.carrierx import check_sid, map_item, pushdown, time_clause
from gateway.records import (
    Direction,
    MessageType,
    Order,
    ProviderKind,
    RecordFilter,
    SmsStatus,
    TimeWindow,
)

from .carrierx_seed import item


def millis(*args):
    return datetime(*args, tzinfo=UTC)


def test_the_seed_sample():
    record = map_item(item(), account="cx")
    assert record.provider == "cx"
    assert record.kind is ProviderKind.CARRIERX
    assert record.provider_record_id == record.node_key == "92cd9154-2f53-4e62-8b4e-8ff6e4849d16"
    assert record.direction is Direction.OUTBOUND
    assert (record.status, record.raw_status) == (SmsStatus.SENT, "sent")
    assert record.type is MessageType.MMS
    assert record.from_number == "+12078152557"
    assert record.to_number == "+17575000929"
    assert record.group_recipients == ("+17207217011", "+17207210038", "+17575000929")
    assert record.body is None
    assert record.media_urls == (
        "https://storage.carrierx.com/f/cdac0471-f144-42a2-94f8-d9838ce5e4b9",
    )
    assert record.segments == 1
    assert record.price == Decimal("0.015")
    assert isinstance(record.price, Decimal)
    assert record.created_at == millis(2023, 12, 6, 15, 28, 50, 404_000)
    assert record.sent_at == millis(2023, 12, 6, 15, 28, 50, 991_000)
    assert record.finished_at == millis(2023, 12, 7, 15, 29, 9, 804_000)
    assert record.updated_at == millis(2023, 12, 7, 15, 29, 9, 880_000)
    assert record.user_data == "test_message"
    assert (record.mcc, record.mnc, record.carrier) == ("310", "999", "tsg")
    assert record.raw == item()


def test_nullable_fields():
    record = map_item(
        item(
            price=None,
            date_sent=None,
            date_stop=None,
            media_urls=None,
            number_group_dst=None,
            user_data=None,
            mcc=None,
            mnc="01",
            provider=None,
            message_segments=None,
            type="sms",
            message="hi",
        ),
        account="cx",
    )
    assert record.price is None
    assert record.sent_at is record.finished_at is None
    assert record.media_urls == record.group_recipients == ()
    assert (record.user_data, record.mcc, record.mnc, record.carrier) == (None, None, "01", None)
    assert record.segments is None
    assert (record.type, record.body) == (MessageType.SMS, "hi")


@pytest.mark.parametrize(
    ("text", "instant"),
    [
        ("2023-12-06T15:28:50.404Z", millis(2023, 12, 6, 15, 28, 50, 404_000)),
        ("2023-12-06T15:28:50Z", millis(2023, 12, 6, 15, 28, 50)),
        ("2023-12-06T15:28:50.4Z", millis(2023, 12, 6, 15, 28, 50, 400_000)),
        ("2023-12-06T17:28:50.404+02:00", millis(2023, 12, 6, 15, 28, 50, 404_000)),
        ("2023-12-06T15:28:50.404", millis(2023, 12, 6, 15, 28, 50, 404_000)),
        ("2023-12-06 15:28:50.404Z", millis(2023, 12, 6, 15, 28, 50, 404_000)),
    ],
)
def test_dates_in_every_iso_shape(text, instant):
    created = map_item(item(date_insert=text), account="cx").created_at
    assert created == instant
    assert created.utcoffset() == timedelta(0)


def test_values_outside_the_documented_sets():
    record = map_item(
        item(status="carrier_rejected", direction="sideways", type="fax"), account="cx"
    )
    assert (record.status, record.raw_status) == (SmsStatus.UNKNOWN, "carrier_rejected")
    assert record.direction is Direction.UNDIRECTED
    assert record.type is MessageType.MMS  # it has media and group recipients
    plain = map_item(item(type=None, media_urls=[], number_group_dst=[]), account="cx")
    assert plain.type is MessageType.SMS
    assert map_item(item(direction="undirected"), account="cx").direction is Direction.UNDIRECTED


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        ([], "that is not an object"),
        (item(dr_sid=None), "without a dr_sid"),
        (item(dr_sid=""), "without a dr_sid"),
        (item(date_insert=None), "without a date_insert"),
        (item(date_insert="yesterday"), "with an unreadable date"),
        (item(date_insert=1701876530), "with an unreadable date"),
        (item(date_sent="2023-13-06T15:28:50Z"), "with an unreadable date"),
        (item(price="0,015"), "with an unreadable price"),
        (item(price="Infinity"), "with an unreadable price"),
    ],
)
def test_a_record_that_cannot_be_mapped(bad, problem):
    with pytest.raises(ProviderError) as raised:
        map_item(bad, account="cx")
    assert raised.value.message == f"carrierx account 'cx' sent a record {problem}"


def test_sids():
    assert (
        check_sid("92cd9154-2f53-4e62-8b4e-8ff6e4849d16") == "92cd9154-2f53-4e62-8b4e-8ff6e4849d16"
    )
    for bad in ("", "..", ".", "a/b", "a b", "../x", "x" * 129, "é"):
        with pytest.raises(MalformedRecordId):
            check_sid(bad)


START = millis(2024, 11, 1)
END = millis(2024, 11, 20)
SPAN = TimeWindow(START, END)
WINDOW_CLAUSES = [
    "date_insert ge '2024-11-01T00:00:00.000Z'",
    "date_insert lt '2024-11-20T00:00:00.000Z'",
]


def clauses(order=Order.ASC, after=None, **narrowing):
    query = StreamQuery(order, SPAN, RecordFilter(**narrowing), after, 20)
    return pushdown(query, SPAN, "cx-main")


def test_the_window_is_always_pushed_down():
    assert clauses() == WINDOW_CLAUSES


@pytest.mark.parametrize(
    ("op", "sent"),
    [
        ("ge", "ge '2024-01-01T00:00:00.002Z'"),  # 1.5 ms: the first record at or after is 2 ms
        ("gt", "ge '2024-01-01T00:00:00.002Z'"),
        ("lt", "lt '2024-01-01T00:00:00.002Z'"),  # the last record before is 1 ms
        ("le", "lt '2024-01-01T00:00:00.002Z'"),
    ],
)
def test_a_bound_between_milliseconds_becomes_the_exact_millisecond(op, sent):
    assert time_clause(op, millis(2024, 1, 1, 0, 0, 0, 1500)) == f"date_insert {sent}"


@pytest.mark.parametrize("op", ["ge", "gt", "lt", "le"])
def test_a_bound_on_a_millisecond_is_sent_as_it_is(op):
    assert time_clause(op, millis(2024, 1, 1, 0, 0, 0, 1000)) == (
        f"date_insert {op} '2024-01-01T00:00:00.001Z'"
    )


@pytest.mark.parametrize(
    ("order", "other", "op"),
    [
        (Order.ASC, "aaa", "ge"),  # cx-main sorts after aaa: same instant lies after
        (Order.ASC, "zzz", "gt"),
        (Order.DESC, "zzz", "le"),
        (Order.DESC, "aaa", "lt"),
    ],
)
def test_a_boundary_of_another_account_becomes_a_time_bound(order, other, op):
    after = Boundary(millis(2024, 11, 5, 12), other, "whatever")
    assert clauses(order, after)[2:] == [f"date_insert {op} '2024-11-05T12:00:00.000Z'"]


def test_a_boundary_of_this_account_is_left_to_after():
    assert clauses(after=Boundary(millis(2024, 11, 5), "cx-main", "sid")) == WINDOW_CLAUSES


def test_direction_status_and_type():
    assert clauses(direction=Direction.INBOUND)[2:] == ["direction eq 'inbound'"]
    assert clauses(statuses=frozenset({SmsStatus.SENT, SmsStatus.DELIVERED}))[2:] == [
        "status in ('delivered','sent')"
    ]
    assert clauses(type=MessageType.MMS)[2:] == ["type ne 'sms'"]
    assert clauses(type=MessageType.SMS)[2:] == ["type ne 'mms'"]


def test_catch_all_values_are_left_to_the_gateway():
    """UNDIRECTED and UNKNOWN also hold records whose value is null or undocumented, which a
    complement clause would miss where the API reads null as SQL does."""
    assert clauses(direction=Direction.UNDIRECTED) == WINDOW_CLAUSES
    assert clauses(statuses=frozenset({SmsStatus.UNKNOWN, SmsStatus.SENT})) == WINDOW_CLAUSES
    assert clauses(statuses=frozenset(SmsStatus)) == WINDOW_CLAUSES


def test_number_and_providers_are_left_to_the_gateway():
    assert clauses(number="+15550001", providers=frozenset({"cx-main"})) == WINDOW_CLAUSES
