"""Cursor codec: exact round trip, compact form, tamper detection, version and binding."""

import base64
import hashlib
import hmac
import json
import string
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.paging import packing
from gateway.paging.cursor import (
    MAX_CURSOR_CHARS,
    Cursor,
    CursorCodec,
    CursorError,
    account_digest,
    filter_hash,
)
from gateway.paging.position import Boundary
from gateway.records import Direction, Order, RecordFilter, SmsStatus, TimeWindow

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
WINDOW = TimeWindow(NOW - timedelta(days=30), NOW)
SECRET = "a-secret-of-enough-length"
ACCOUNTS = ("cx-main", "cx-2", "dfs-main")
SID = "3f2b8c1e-4d5a-4e6f-9a7b-8c9d0e1f2a3b"


def make_cursor(**overrides) -> Cursor:
    values = {
        "order": Order.DESC,
        "filter_hash": filter_hash(RecordFilter()),
        "window": WINDOW,
        "position": Boundary(NOW - timedelta(hours=1), "cx-main", "92cd9154"),
        "lagging": {},
    }
    values.update(overrides)
    return Cursor(**values)


def codec(secret: str = SECRET, accounts=ACCOUNTS) -> CursorCodec:
    return CursorCodec(secret, accounts)


def test_round_trip_keeps_every_field():
    cursor = make_cursor(
        lagging={"dfs-main": None, "cx-2": Boundary(NOW, "cx-2", "x")},
        hints={"dfs-main": {"o": "asc", "r": ["2026-11-01 00:00:00", "x"], "t": "77", "i": 3}},
        travel=Order.ASC,
    )
    assert codec().decode(codec().encode(cursor)) == cursor


def test_cursor_is_opaque_base64url():
    text = codec().encode(make_cursor())
    assert set(text) <= set(string.ascii_letters + string.digits + "-_")
    assert "cx-main" not in text


def test_a_walk_over_three_accounts_fits_the_budget_with_every_hint():
    """Descending pages over two CarrierX accounts and a DIDforSale one, one account
    lagging: every hint the adapters leave, and the cursor still fits."""
    cursor = make_cursor(
        window=TimeWindow(WINDOW.start + timedelta(microseconds=123_457), WINDOW.end),
        position=Boundary(NOW - timedelta(milliseconds=1_234_567), "cx-2", SID),
        lagging={"cx-main": Boundary(NOW - timedelta(days=2), "dfs-main", "1234567890123")},
        hints={
            "cx-main": {"o": "desc", "s": str(UUID(int=7))},
            "cx-2": {"o": "desc", "s": SID},
            "dfs-main": {"o": "desc", "w": [1_763_000_000, 1_763_003_600]},
        },
        travel=Order.DESC,
    )
    text = codec().encode(cursor)
    assert len(text) <= MAX_CURSOR_CHARS
    assert codec().decode(text) == cursor


def test_hints_over_the_budget_are_dropped_largest_first_and_the_rest_kept():
    big = {"o": "asc", "blob": "x" * 150}
    small = {"o": "desc", "s": SID}
    cursor = make_cursor(hints={"cx-main": small, "dfs-main": big}, travel=Order.DESC)
    text = codec().encode(cursor)
    assert len(text) <= MAX_CURSOR_CHARS
    assert codec().decode(text) == make_cursor(hints={"cx-main": small}, travel=Order.DESC)


def test_another_replica_with_the_same_secret_accepts_it():
    text = codec("shared-secret-123456").encode(make_cursor())
    assert codec("shared-secret-123456").decode(text).position.record_id == "92cd9154"


def test_another_secret_rejects_it():
    text = codec("shared-secret-123456").encode(make_cursor())
    with pytest.raises(CursorError, match="signature"):
        codec("other-secret-1234567").decode(text)


def test_an_account_added_since_leaves_the_cursor_as_it_was():
    text = codec().encode(make_cursor(lagging={"dfs-main": None}))
    assert codec(accounts=(*ACCOUNTS, "cx-3")).decode(text) == make_cursor(
        lagging={"dfs-main": None}
    )


def test_an_account_removed_since_loses_only_its_lagging_place_and_hint():
    cursor = make_cursor(
        lagging={"cx-2": Boundary(NOW, "cx-2", "x"), "dfs-main": None},
        hints={"cx-2": {"s": SID}, "dfs-main": {"t": "77"}},
        travel=Order.DESC,
    )
    decoded = codec(accounts=("cx-main", "dfs-main")).decode(codec().encode(cursor))
    assert decoded == make_cursor(
        lagging={"dfs-main": None}, hints={"dfs-main": {"t": "77"}}, travel=Order.DESC
    )


@pytest.mark.parametrize(
    "cursor",
    [
        make_cursor(position=Boundary(NOW, "cx-2", "x")),
        make_cursor(lagging={"cx-main": Boundary(NOW, "cx-2", "x")}),
    ],
    ids=["at-its-record", "another-account-lags-at-its-record"],
)
def test_a_position_set_by_a_removed_account_is_refused(cursor):
    with pytest.raises(CursorError, match="no longer serves"):
        codec(accounts=("cx-main", "dfs-main")).decode(codec().encode(cursor))


def test_two_accounts_with_one_digest_stop_the_codec():
    pair = ("cx-31661", "cx-64665")
    assert account_digest(pair[0]) == account_digest(pair[1])
    with pytest.raises(ValueError, match="'cx-31661' and 'cx-64665' have the same cursor digest"):
        codec(accounts=(*ACCOUNTS, *pair))


def test_the_cursor_names_no_account_and_holds_only_those_it_mentions():
    text = codec().encode(make_cursor())
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    assert account_digest("cx-main") in data
    assert account_digest("cx-2") not in data and account_digest("dfs-main") not in data


def test_over_keeps_the_key():
    text = CursorCodec(SECRET).over(ACCOUNTS).encode(make_cursor())
    assert codec().decode(text) == make_cursor()


@pytest.mark.parametrize("text", ["", "abc", "a.b.c", "!!!.???", "djE.AAAA", "AA==", "A" * 40])
def test_garbage_is_a_bad_cursor(text):
    with pytest.raises(CursorError):
        codec().decode(text)


def test_flipping_one_payload_character_is_detected():
    text = codec().encode(make_cursor())
    for at in (0, 10, len(text) // 2, len(text) - 1):
        flipped = text[:at] + ("A" if text[at] != "A" else "B") + text[at + 1 :]
        with pytest.raises(CursorError):
            codec().decode(flipped)


def test_a_truncated_cursor_is_refused():
    text = codec().encode(make_cursor())
    for cut in (1, 4, 16, len(text) - 1):
        with pytest.raises(CursorError):
            codec().decode(text[:-cut])


def first_version_cursor(secret: str, payload: dict) -> str:
    """A cursor as version 1 of the gateway wrote it."""
    body = b"v1" + json.dumps(payload, separators=(",", ":")).encode()
    tag = hmac.new(secret.encode(), body, hashlib.sha256).digest()[:16]
    armor = [base64.urlsafe_b64encode(part).rstrip(b"=").decode() for part in (body, tag)]
    return ".".join(armor)


V1_PAYLOAD = {
    "o": "desc",
    "f": filter_hash(RecordFilter()),
    "w": ["2026-10-21T12:00:00+00:00", "2026-11-20T12:00:00+00:00"],
    "k": ["2026-11-20T11:00:00+00:00", "cx-main", SID],
    "l": {},
    "h": {"cx-main": {"o": "desc", "s": SID}},
    "t": "desc",
}


def test_a_first_version_cursor_says_to_start_again():
    with pytest.raises(CursorError, match="earlier version of the gateway; start the walk"):
        codec().decode(first_version_cursor(SECRET, V1_PAYLOAD))


def test_filter_hash_changes_with_the_filter_and_not_with_list_order():
    a = RecordFilter(statuses=frozenset({SmsStatus.SENT, SmsStatus.FAILED}))
    b = RecordFilter(statuses=frozenset({SmsStatus.FAILED, SmsStatus.SENT}))
    c = RecordFilter(statuses=frozenset({SmsStatus.SENT}))
    d = RecordFilter(direction=Direction.INBOUND)
    assert filter_hash(a) == filter_hash(b)
    assert len({filter_hash(a), filter_hash(c), filter_hash(d), filter_hash(RecordFilter())}) == 4


instants = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC)
)
names = st.sampled_from(ACCOUNTS)
shaped_text = st.one_of(
    st.text(max_size=40),
    st.uuids().map(str),
    st.integers(min_value=0, max_value=10**70).map(str),
    st.from_regex(r"0[0-9]{3,20}", fullmatch=True),
    instants.map(lambda moment: moment.strftime("%Y-%m-%d %H:%M:%S")),
    st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}", fullmatch=True),
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | shaped_text,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=12,
)
boundaries = st.builds(Boundary, instants, names, shaped_text)
cursors = st.builds(
    Cursor,
    order=st.sampled_from(Order),
    filter_hash=st.binary(min_size=8, max_size=8).map(bytes.hex),
    window=st.builds(TimeWindow, instants, instants),
    position=boundaries,
    lagging=st.dictionaries(names, st.none() | boundaries),
    hints=st.dictionaries(names, json_values),
    travel=st.none() | st.sampled_from(Order),
)


@given(cursors)
def test_any_cursor_round_trips_exactly_or_drops_only_hints(cursor):
    decoded = codec().decode(codec().encode(cursor))
    if decoded.hints == cursor.hints:
        assert decoded == cursor
    else:
        assert decoded.hints.items() < cursor.hints.items()
        assert decoded == Cursor(**{**_fields(cursor), "hints": decoded.hints})


@given(json_values)
def test_any_json_ready_hint_round_trips_exactly(hint):
    cursor = make_cursor(hints={"dfs-main": hint})
    decoded = codec().decode(codec().encode(cursor))
    if decoded.hints:
        assert decoded.hints == {"dfs-main": hint}
        assert json.dumps(decoded.hints["dfs-main"]) == json.dumps(_as_json(hint))


def _fields(cursor: Cursor) -> dict:
    return {name: getattr(cursor, name) for name in Cursor.__dataclass_fields__}


def _as_json(value):
    return json.loads(json.dumps(value))


def test_a_signed_table_holding_one_digest_twice_is_malformed():
    """Only this codec signs tables, so this guards the decoder, not the wire."""
    text = codec().encode(make_cursor())
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    payload = packing.loads(data[1:-12])
    payload[-1] = payload[-1] * 2
    body = bytes([data[0]]) + packing.dumps(payload)
    tag = hmac.new(SECRET.encode(), body, hashlib.sha256).digest()[:12]
    doubled = base64.urlsafe_b64encode(body + tag).rstrip(b"=").decode()
    with pytest.raises(CursorError, match="malformed"):
        codec().decode(doubled)
