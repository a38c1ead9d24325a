from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from gateway.errors import MalformedRecordId, ProviderError
from gateway.providers.didforsale import map_row, parse_node_key, read_page
from gateway.providers.http import HttpReply, decode_json
from gateway.records import Direction, MessageType, ProviderKind, SmsStatus

UTC_ZONE = ZoneInfo("UTC")
CHICAGO = ZoneInfo("America/Chicago")

SEED_REPLY = b"""{
   "status": true,
    "message": "Success",
    "sms_cdr": [
              {
                "sender": "141XXXX5001",
                "reciever": "9199XXXXX261",
                "uuid": "1462XXXX74016",
                "message": "Fresh new test",
                "cost": 2.46611,
                "status": "sent",
                "direction": "outbound",
                "date": "2018-08-10 08:19:50"
              }
    ],
    "last_record_number": 0,
    "code": 100
}"""


def row(**changes):
    base = {
        "sender": "14155550101",
        "reciever": "919912345261",
        "uuid": "1462000074016",
        "message": "Fresh new test",
        "cost": Decimal("2.46611"),
        "status": "sent",
        "direction": "outbound",
        "date": "2018-08-10 08:19:50",
    }
    return base | changes


def test_the_seed_sample():
    page = read_page(HttpReply(200, decode_json(SEED_REPLY)), account="dfs", zone=UTC_ZONE)
    assert page.is_last
    [record] = page.records
    assert record.provider == "dfs"
    assert record.kind is ProviderKind.DIDFORSALE
    assert record.provider_record_id == "1462XXXX74016"
    assert record.node_key == "1462XXXX74016:2018-08-10 08:19:50"
    assert record.direction is Direction.OUTBOUND
    assert record.status is SmsStatus.SENT
    assert record.raw_status == "sent"
    assert record.type is MessageType.SMS
    assert record.from_number == "+141XXXX5001"
    assert record.to_number == "+9199XXXXX261"
    assert record.body == "Fresh new test"
    assert record.segments == 1
    assert record.price == Decimal("2.46611")
    assert isinstance(record.price, Decimal)
    assert record.created_at == datetime(2018, 8, 10, 8, 19, 50, tzinfo=UTC)
    assert record.raw["reciever"] == "9199XXXXX261"
    assert record.raw["cost"] == Decimal("2.46611")
    assert record.group_recipients == ()
    assert record.media_urls == ()
    for absent in ("sent_at", "finished_at", "updated_at", "user_data", "mcc", "mnc", "carrier"):
        assert getattr(record, absent) is None


def test_dates_are_read_in_the_account_zone():
    record = map_row(row(date="2024-07-01 12:00:00"), account="dfs", zone=CHICAGO)
    assert record.created_at == datetime(2024, 7, 1, 17, tzinfo=UTC)
    assert record.node_key == "1462000074016:2024-07-01 12:00:00"


def test_both_occurrences_of_the_repeated_hour_map_to_the_first():
    record = map_row(row(date="2024-11-03 01:30:00"), account="dfs", zone=CHICAGO)
    assert record.created_at == datetime(2024, 11, 3, 6, 30, tzinfo=UTC)


def test_values_outside_the_documented_sets():
    record = map_row(
        row(status="Pending-Review", direction="sideways"), account="dfs", zone=UTC_ZONE
    )
    assert record.status is SmsStatus.UNKNOWN
    assert record.raw_status == "Pending-Review"
    assert record.direction is Direction.UNDIRECTED
    assert map_row(row(status=None), account="dfs", zone=UTC_ZONE).raw_status == ""
    assert map_row(row(direction="INBOUND"), account="dfs", zone=UTC_ZONE).direction is (
        Direction.INBOUND
    )


def test_numbers_and_cost_in_other_shapes():
    record = map_row(
        row(uuid=1462000074016, sender=14155550101, reciever="+44201234567", cost=3),
        account="dfs",
        zone=UTC_ZONE,
    )
    assert record.provider_record_id == "1462000074016"
    assert (record.from_number, record.to_number) == ("+14155550101", "+44201234567")
    assert record.price == Decimal(3)
    assert map_row(row(cost="0.0079"), account="dfs", zone=UTC_ZONE).price == Decimal("0.0079")
    assert map_row(row(cost=None), account="dfs", zone=UTC_ZONE).price is None


def test_segments_are_counted_from_the_message():
    assert map_row(row(message="a" * 161), account="dfs", zone=UTC_ZONE).segments == 2
    assert map_row(row(message="ж" * 71), account="dfs", zone=UTC_ZONE).segments == 2
    record = map_row(row(message=None), account="dfs", zone=UTC_ZONE)
    assert (record.body, record.segments) == (None, None)


@pytest.mark.parametrize(
    ("bad", "problem"),
    [
        ("not a row", "that is not an object"),
        (row(uuid=None), "without a uuid"),
        (row(uuid=" "), "without a uuid"),
        (row(date=None), "with an unreadable date"),
        (row(date="2018-08-10"), "with an unreadable date"),
        (row(date="2018-8-10 8:19:50"), "with an unreadable date"),
        (row(date="2018-02-30 08:19:50"), "with an unreadable date"),
        (row(cost="free"), "with an unreadable cost"),
        (row(cost=True), "with an unreadable cost"),
        (row(cost=[1]), "with an unreadable cost"),
    ],
)
def test_a_row_that_cannot_be_mapped_fails_the_reply(bad, problem):
    with pytest.raises(ProviderError) as raised:
        map_row(bad, account="dfs", zone=UTC_ZONE)
    assert raised.value.message == f"didforsale account 'dfs' sent a record {problem}"
    assert raised.value.provider == "dfs"


def envelope(**changes):
    return {
        "status": True,
        "message": "Success",
        "sms_cdr": [],
        "last_record_number": 0,
        "code": 100,
    } | changes


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"status": False, "message": "Invalid", "code": 101}, "rejected the credentials"),
        ({"status": False, "message": "Invalid", "code": "101"}, "rejected the credentials"),
        (
            {"status": False, "message": "Invalid date range", "code": 113},
            "reported failure code 113",
        ),
        ({"status": False}, "reported a failure"),
        (envelope(status="true"), "reported a failure"),
        (envelope(code=102), "reported failure code 102"),
        (envelope(sms_cdr=None), "sent a reply that is not a CDR listing"),
        (envelope(last_record_number=None), "sent a reply that is not a CDR listing"),
        (envelope(last_record_number=-1), "sent a reply that is not a CDR listing"),
        (envelope(last_record_number=True), "sent a reply that is not a CDR listing"),
        ([], "sent a reply that is not a CDR listing"),
        (None, "sent a reply that is not a CDR listing"),
    ],
)
def test_replies_that_are_not_a_listing(body, message):
    with pytest.raises(ProviderError) as raised:
        read_page(HttpReply(200, body), account="dfs", zone=UTC_ZONE)
    assert message in raised.value.message
    assert "Invalid" not in raised.value.message


def test_http_statuses_other_than_200():
    with pytest.raises(ProviderError, match="rejected the credentials"):
        read_page(HttpReply(401, None), account="dfs", zone=UTC_ZONE)
    with pytest.raises(ProviderError, match="answered with HTTP 404"):
        read_page(HttpReply(404, None), account="dfs", zone=UTC_ZONE)


def test_the_page_token_is_kept_as_sent():
    page = read_page(
        HttpReply(200, envelope(last_record_number="4711")), account="dfs", zone=UTC_ZONE
    )
    assert page.next_token == "4711"
    assert not page.is_last


def test_node_keys():
    assert parse_node_key("1462000074016:2024-11-03 01:30:00") == (
        "1462000074016",
        "2024-11-03 01:30:00",
    )
    assert parse_node_key("a:b:2024-11-03 01:30:00") == ("a:b", "2024-11-03 01:30:00")


@pytest.mark.parametrize(
    "key",
    [
        "",
        "2024-11-03 01:30:00",
        ":2024-11-03 01:30:00",
        "1462:2024-11-03",
        "1462-2024-11-03 01:30:00",
        "1462:2024-13-03 01:30:00",
        "1462:2024-11-03T01:30:00",
        "x",
    ],
)
def test_malformed_node_keys(key):
    with pytest.raises(MalformedRecordId):
        parse_node_key(key)
