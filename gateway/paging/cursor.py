"""Opaque, versioned, HMAC-signed cursors.

A cursor names the place of one edge in the total order, plus the place of every account
whose position differs from it (an account that failed keeps the position it had, so a walk
that continues after it recovers still yields its records). It is bound to the order, a hash
of the filter (and of the caller) and the time window fixed by the walk's first page; it holds
no secret and no state on the server, so any replica sharing the key can continue the walk.
Each account may also leave a hint of where its provider's own paging stood (a DIDforSale
page token and offset or time window, a CarrierX record id), which saves it a search on the
next page. Hints hold only in the direction of travel that made them (`travel`): the other
direction moves positions away from them.

Wire form (version 2): base64url(version byte | MessagePack payload | tag), at most
`MAX_CURSOR_CHARS` characters for a walk over three accounts. The payload is kept small
generically: instants as integer microseconds since the epoch (exact: a `datetime` holds
nothing finer), the filter hash as raw bytes, opaque strings in their shortest exact form
(`packing`), and accounts as indexes into a table, in the payload, of the accounts the cursor
mentions, each written as the first `DIGEST_BYTES` bytes of SHA-256 of its name. Four bytes
suffice because a digest only has to tell apart the accounts of one gateway, and a clash is
never accepted silently: the codec refuses two accounts that share a digest, which stops the
gateway at startup, and a table that holds one digest twice is malformed. What remains is an account
removed and another added under the same digest while a walk is under way: one chance in
2**32 per such pair.

The decoder maps each digest to the account of that name it serves. Accounts added since the
walk began are not in the table: like any account without a lagging place, they resume from
the edge's position, so from that point on each of their records comes exactly once, and
those the walk had already passed do not come. An account the cursor mentions and the codec
no longer serves (removed, or no longer readable by the caller) is dropped when the page does
not need it: its lagging place and hint are only read for that account, which the page no
longer reads. A position it set is needed: the edge's position, or the lagging place of
another account, orders every other account's records at its instant by account name, which
the digest does not give back; such a cursor is refused (`ACCOUNT_GONE`).

The tag is HMAC-SHA256 over the version and payload, truncated to 12 bytes: a forger must
guess 96 bits (RFC 2104 sets 80 as the floor), one online try per request, and a cursor
guards no secret, only the integrity of a walk. The tag does not cover the accounts the
gateway serves, so a walk survives an account being added or removed elsewhere, replica by
replica.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from gateway.paging import packing
from gateway.paging.position import Boundary
from gateway.records import Order, RecordFilter, TimeWindow

VERSION = 2
MAX_CURSOR_CHARS = 256
"""A cursor's length budget; hints are dropped, largest first, from a cursor over it."""
DIGEST_BYTES = 4
"""How much of SHA-256 of an account's name stands for the account in a cursor."""

_TAG_BYTES = 12
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_ORDERS = (Order.ASC, Order.DESC)

MALFORMED = "The cursor is malformed."
FORGED = "The cursor's signature does not match: it was altered or forged; start the walk again."
ACCOUNT_GONE = (
    "The cursor stands at a record of an account this gateway no longer serves to this "
    "client (it was removed from the configuration or may no longer be read); "
    "start the walk again."
)
EARLIER_VERSION = "The cursor was made by an earlier version of the gateway; start the walk again."
OTHER_VERSION = "The cursor was made by another version of the gateway; start the walk again."


class CursorError(Exception):
    """A cursor text this codec did not sign or cannot read; the message is for the client."""


@dataclass(frozen=True, slots=True)
class Cursor:
    """The decoded content of one edge cursor."""

    order: Order
    filter_hash: str
    window: TimeWindow
    position: Boundary
    lagging: dict[str, Boundary | None] = field(default_factory=dict)
    hints: dict[str, Any] = field(default_factory=dict)
    travel: Order | None = None

    def position_of(self, provider: str) -> Boundary | None:
        """Where one account resumes: its own lagging place, else the edge's place."""
        return self.lagging.get(provider, self.position)

    def hints_for(self, travel: Order) -> dict[str, Any]:
        """The hints, if they were made travelling the same way; none otherwise."""
        return self.hints if self.travel is travel else {}


def filter_hash(record_filter: RecordFilter, caller: str | None = None) -> str:
    """Binds a cursor to the filter it was made for and, on a gateway that knows its
    callers, to the caller it was made for (16 hex digits)."""
    bound = record_filter.canonical() if caller is None else [record_filter.canonical(), caller]
    text = json.dumps(bound, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@lru_cache(maxsize=1024)
def account_digest(name: str) -> bytes:
    """What stands for an account in a cursor's table of accounts."""
    return hashlib.sha256(name.encode()).digest()[:DIGEST_BYTES]


class CursorCodec:
    """Encodes and verifies the cursors of walks over `accounts`, with one HMAC key.

    Raises `ValueError` for two accounts whose digests are the same.
    """

    def __init__(self, secret: str, accounts: Iterable[str] = ()) -> None:
        self._secret = secret
        self._names: dict[bytes, str] = {}
        for name in sorted(set(accounts)):
            clash = self._names.setdefault(account_digest(name), name)
            if clash != name:
                raise ValueError(
                    f"Accounts {clash!r} and {name!r} have the same cursor digest; rename one."
                )
        self._keyed = hmac.new(secret.encode(), digestmod=hashlib.sha256)

    def over(self, accounts: Iterable[str]) -> CursorCodec:
        """The codec, with the same key, for walks over `accounts`."""
        return CursorCodec(self._secret, accounts)

    def encode(self, cursor: Cursor) -> str:
        """The cursor's text; over `MAX_CURSOR_CHARS`, hints are dropped one at a time,
        largest first (an account resumes from its position alone, as with no hint)."""
        table = _Table()
        head = [
            _ORDERS.index(cursor.order),
            None if cursor.travel is None else _ORDERS.index(cursor.travel),
            bytes.fromhex(cursor.filter_hash),
            _micros(cursor.window.start),
            _micros(cursor.window.end),
            table.boundary(cursor.position),
            {table.ref(name): table.boundary(b) for name, b in cursor.lagging.items()},
        ]
        hints = {table.ref(name): packing.pack(hint) for name, hint in cursor.hints.items()}
        text = self._seal([*head, hints, table.digests()])
        while len(text) > MAX_CURSOR_CHARS and hints:
            del hints[max(hints, key=lambda ref: len(packing.dumps(hints[ref])))]
            text = self._seal([*head, hints, table.digests()])
        return text

    def decode(self, text: str) -> Cursor:
        """Raises `CursorError` for anything this codec did not sign, and for a cursor that
        needs an account the codec no longer serves."""
        data = _unarmor(text)
        if len(data) <= _TAG_BYTES:
            raise CursorError(MALFORMED)
        if data[0] != VERSION:
            raise CursorError(OTHER_VERSION)
        body, tag = data[:-_TAG_BYTES], data[-_TAG_BYTES:]
        if not hmac.compare_digest(tag, self._tag(body)):
            raise CursorError(FORGED)
        try:
            return self._cursor(packing.loads(body[1:]))
        except (ValueError, KeyError, TypeError, IndexError, OverflowError):
            raise CursorError(MALFORMED) from None

    def _seal(self, payload: list[Any]) -> str:
        body = bytes([VERSION]) + packing.dumps(payload)
        return base64.urlsafe_b64encode(body + self._tag(body)).rstrip(b"=").decode("ascii")

    def _tag(self, body: bytes) -> bytes:
        mac = self._keyed.copy()
        mac.update(body)
        return mac.digest()[:_TAG_BYTES]

    def _cursor(self, payload: Any) -> Cursor:
        order, travel, fhash, start, end, position, lagging, hints, digests = payload
        if not isinstance(fhash, bytes) or not isinstance(lagging, dict):
            raise ValueError("bad payload")
        if not isinstance(hints, dict):
            raise ValueError("bad hints")
        names = self._served(digests)
        return Cursor(
            order=_order(order),
            filter_hash=fhash.hex(),
            window=TimeWindow(_instant(start), _instant(end)),
            position=_boundary_in(position, names),
            lagging={
                name: None if b is None else _boundary_in(b, names)
                for name, b in _served_entries(lagging, names).items()
            },
            hints=_served_entries(hints, names),
            travel=None if travel is None else _order(travel),
        )

    def _served(self, digests: Any) -> list[str | None]:
        """The account each entry of a cursor's table stands for; None for one not served."""
        if not isinstance(digests, bytes) or len(digests) % DIGEST_BYTES:
            raise ValueError("bad table")
        table = [digests[at : at + DIGEST_BYTES] for at in range(0, len(digests), DIGEST_BYTES)]
        if len(set(table)) != len(table):
            raise ValueError("one account twice")
        return [self._names.get(digest) for digest in table]


class _Table:
    """The accounts one cursor mentions, indexed in the order it first names them."""

    def __init__(self) -> None:
        self._refs: dict[str, int] = {}

    def ref(self, name: str) -> int:
        return self._refs.setdefault(name, len(self._refs))

    def boundary(self, boundary: Boundary | None) -> list[Any] | None:
        if boundary is None:
            return None
        ref = self.ref(boundary.provider)
        return [_micros(boundary.created_at), ref, packing.pack_text(boundary.record_id)]

    def digests(self) -> bytes:
        return b"".join(account_digest(name) for name in self._refs)


def _boundary_in(value: Any, names: list[str | None]) -> Boundary:
    """A position; one set by an account no longer served cannot be placed among the others'
    records at its instant."""
    created_at, ref, record_id = value
    name = _entry(names, ref)
    if name is None:
        raise CursorError(ACCOUNT_GONE)
    return Boundary(_instant(created_at), name, packing.unpacked_text(record_id))


def _served_entries(by_ref: dict[Any, Any], names: list[str | None]) -> dict[str, Any]:
    """Per-account values by account name, leaving out the accounts no longer served."""
    return {
        name: value for ref, value in by_ref.items() if (name := _entry(names, ref)) is not None
    }


def _entry(names: list[str | None], ref: Any) -> str | None:
    """The account of one index into a cursor's table (None: not served); raises for an
    index outside it."""
    if not isinstance(ref, int) or not 0 <= ref < len(names):
        raise ValueError("bad account index")
    return names[ref]


def _unarmor(text: str) -> bytes:
    """The bytes of a cursor's text, which must be their one base64url form."""
    if "." in text:
        raise CursorError(EARLIER_VERSION if _is_first_version(text) else MALFORMED)
    try:
        data = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (ValueError, binascii.Error):
        raise CursorError(MALFORMED) from None
    if base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii") != text:
        raise CursorError(MALFORMED)
    return data


def _is_first_version(text: str) -> bool:
    """Version 1 cursors were base64url(`v1` | JSON) + "." + base64url(tag)."""
    head = text.split(".", 1)[0]
    try:
        return base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)).startswith(b"v1{")
    except (ValueError, binascii.Error):
        return False


def _order(value: Any) -> Order:
    if value not in (0, 1):
        raise ValueError("bad order")
    return _ORDERS[value]


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND


def _instant(value: Any) -> datetime:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError("bad instant")
    return _EPOCH + value * _MICROSECOND
