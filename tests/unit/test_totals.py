"""Totals arithmetic and rules that the datasets of the HTTP tests cannot reach, and the
`[limits]` key that bounds their calls."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from gateway.config import parse_settings
from gateway.errors import BadUserInput, ConfigError
from gateway.records import Direction, MessageType, ProviderKind, SmsRecord, SmsStatus
from gateway.totals import Grouping, StatsKey, Tally, zone_named

BASE = {
    "security": {"cursor_secret": "s" * 32},
    "providers": [
        {"name": "cx", "kind": "carrierx", "base_url": "https://cx.example", "token": "t"}
    ],
}


def record(price: str | None, status: SmsStatus = SmsStatus.SENT, provider: str = "a"):
    return SmsRecord(
        provider=provider,
        kind=ProviderKind.CARRIERX,
        provider_record_id="1",
        node_key="1",
        direction=Direction.OUTBOUND,
        status=status,
        raw_status=status.value,
        type=MessageType.SMS,
        from_number="+15550000001",
        to_number="+15550000002",
        created_at=datetime(2025, 1, 1, tzinfo=UTC),
        raw={},
        segments=2,
        price=None if price is None else Decimal(price),
    )


def test_prices_add_up_exactly_beyond_the_default_decimal_precision():
    tally = Tally(Grouping([], zone_named("UTC")))
    tally.add([record("1e30"), record("0.000000000000000000000000000001"), record(None)])
    assert tally.total.price == Decimal(
        "1000000000000000000000000000000.000000000000000000000000000001"
    )
    assert (tally.total.count, tally.total.segments, tally.total.unpriced_count) == (3, 6, 1)


def test_accounts_sort_by_name_then_statuses_by_declaration_order():
    tally = Tally(Grouping([StatsKey.PROVIDER, StatsKey.STATUS], zone_named("UTC")))
    tally.add(
        [
            record("1", SmsStatus.UNKNOWN, "b"),
            record("1", SmsStatus.DELIVERED, "a"),
            record("1", SmsStatus.QUEUED, "b"),
            record("1", SmsStatus.FAILED, "a"),
        ]
    )
    keys = [(b.key.provider, b.key.status) for b in tally.buckets()]
    assert keys == [
        ("a", SmsStatus.DELIVERED),
        ("a", SmsStatus.FAILED),
        ("b", SmsStatus.QUEUED),
        ("b", SmsStatus.UNKNOWN),
    ]
    assert all(b.key.day is None and b.key.direction is None for b in tally.buckets())


def test_no_grouping_and_no_records_gives_a_zero_total_and_no_bucket():
    tally = Tally(Grouping([], zone_named("UTC")))
    tally.add([])
    assert tally.buckets() == []
    assert (tally.total.count, tally.total.price) == (0, Decimal(0))


@pytest.mark.parametrize("name", ["", "utc", "Mars/Olympus_Mons", "America", "posix/Europe/Berlin"])
def test_only_exact_iana_names_are_zones(name):
    with pytest.raises(BadUserInput):
        zone_named(name)


def test_a_key_grouped_twice_is_refused():
    with pytest.raises(BadUserInput, match="DAY"):
        Grouping([StatsKey.DAY, StatsKey.HOUR, StatsKey.DAY], zone_named("UTC"))


def test_max_stats_calls_defaults_to_200_and_must_be_positive():
    assert parse_settings(BASE, environ={}).limits.max_stats_calls == 200
    given = parse_settings(BASE | {"limits": {"max_stats_calls": 7}}, environ={})
    assert given.limits.max_stats_calls == 7
    with pytest.raises(ConfigError) as refused:
        parse_settings(BASE | {"limits": {"max_stats_calls": 0}}, environ={})
    assert refused.value.key == "limits.max_stats_calls"
