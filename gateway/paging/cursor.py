"""Opaque, versioned, HMAC-signed cursors.

A cursor names the place of one edge in the total order, plus the place of every account
whose position differs from it (an account that failed keeps the position it had, so a walk
that continues after it recovers still yields its records). It is bound to the order, a hash
of the filter and the time window fixed by the walk's first page; it holds no secret and no
state on the server, so any replica sharing the key can continue the walk. Each account may
also leave a hint of where its provider's own paging stood (a DIDforSale page token and
offset or time window, a CarrierX record id), which saves it a search on the next page. Hints
hold only in the direction of travel that made them (`travel`): the other direction moves
positions away from them.

Wire form: base64url(`v1` | JSON payload) + "." + base64url(HMAC-SHA256 tag, 16 bytes).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gateway.paging.position import Boundary
from gateway.records import Order, RecordFilter, TimeWindow

VERSION = "v1"
_TAG_BYTES = 16


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
    callers, to the caller it was made for."""
    bound = record_filter.canonical() if caller is None else [record_filter.canonical(), caller]
    text = json.dumps(bound, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _boundary_out(boundary: Boundary | None) -> list[str] | None:
    if boundary is None:
        return None
    return [boundary.created_at.isoformat(), boundary.provider, boundary.record_id]


def _boundary_in(value: Any) -> Boundary | None:
    if value is None:
        return None
    created_at, provider, record_id = value
    return Boundary(_utc(created_at), str(provider), str(record_id))


def _utc(text: Any) -> datetime:
    moment = datetime.fromisoformat(str(text))
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment


class CursorCodec:
    """Encodes and verifies cursors with one HMAC key."""

    def __init__(self, secret: str) -> None:
        self._key = secret.encode()

    def _tag(self, body: bytes) -> bytes:
        return hmac.new(self._key, body, hashlib.sha256).digest()[:_TAG_BYTES]

    def encode(self, cursor: Cursor) -> str:
        payload = {
            "o": cursor.order.value,
            "f": cursor.filter_hash,
            "w": [cursor.window.start.isoformat(), cursor.window.end.isoformat()],
            "k": _boundary_out(cursor.position),
            "l": {name: _boundary_out(b) for name, b in sorted(cursor.lagging.items())},
            "h": dict(sorted(cursor.hints.items())),
            "t": cursor.travel.value if cursor.travel else None,
        }
        body = VERSION.encode() + json.dumps(payload, separators=(",", ":")).encode()
        return f"{_b64encode(body)}.{_b64encode(self._tag(body))}"

    def decode(self, text: str) -> Cursor:
        """Raises `CursorError` for anything this codec did not sign."""
        try:
            body_text, tag_text = text.split(".")
            body, tag = _b64decode(body_text), _b64decode(tag_text)
        except (ValueError, binascii.Error):
            raise CursorError("The cursor is malformed.") from None
        if not hmac.compare_digest(tag, self._tag(body)):
            raise CursorError("The cursor's signature does not match; it was altered or forged.")
        if not body.startswith(VERSION.encode()):
            raise CursorError("The cursor comes from an unsupported version of the gateway.")
        try:
            payload = json.loads(body[len(VERSION) :])
            position = _boundary_in(payload["k"])
            if position is None:
                raise ValueError("cursor without position")
            return Cursor(
                order=Order(payload["o"]),
                filter_hash=str(payload["f"]),
                window=TimeWindow(_utc(payload["w"][0]), _utc(payload["w"][1])),
                position=position,
                lagging={str(k): _boundary_in(v) for k, v in payload["l"].items()},
                hints={str(k): v for k, v in payload["h"].items()},
                travel=Order(payload["t"]) if payload.get("t") is not None else None,
            )
        except (ValueError, KeyError, TypeError, IndexError, AttributeError):
            raise CursorError("The cursor is malformed.") from None
