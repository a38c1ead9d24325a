"""JSON-ready values in compact CBOR, for cursors.

Providers' hints and record ids are opaque to the gateway, but much of their text is one of
a few shapes that have a shorter binary form: a canonical UUID (16 bytes, CBOR's own tag 37),
a long digit string (an integer under a private tag) and a `YYYY-MM-DD HH:MM:SS` date-time
(seconds since the epoch under a private tag). `pack` rewrites such strings, and only when
`unpack` gives the very same text back; anything else passes as it is, so every JSON-ready
value round-trips exactly. Repeated strings and byte strings are written once (CBOR string
references), since a hint often names the record its cursor's position names too.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import cbor2

_DIGITS_TAG = 6  # a digit string, as its integer (a tag this codec alone reads)
_DATE_TIME_TAG = 7  # a `YYYY-MM-DD HH:MM:SS` text, as seconds since the epoch
_UUID_TAG = 37  # CBOR's registered tag for a binary UUID
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_LONG_NUMBER = re.compile(r"[1-9][0-9]{3,63}")  # no leading zero: the integer reads back the same
_DATE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")
_NAIVE_EPOCH = datetime(1970, 1, 1)
_SECOND = timedelta(seconds=1)


def dumps(value: Any) -> bytes:
    """The CBOR form of a value already `pack`ed."""
    return cbor2.dumps(value, string_referencing=True)


def loads(data: bytes) -> Any:
    """The value `dumps` wrote, with every packed string unpacked; raises `ValueError` on
    bytes it did not write."""
    try:
        return cbor2.loads(data, semantic_decoders=_UNPACKERS)
    except cbor2.CBORError as error:
        raise ValueError(str(error)) from None


def pack(value: Any) -> Any:
    """A JSON-ready value with its strings in their shortest exact form (keys stay text)."""
    if isinstance(value, str):
        return pack_text(value)
    if isinstance(value, dict):
        return {key: pack(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [pack(item) for item in value]
    return value


def pack_text(text: str) -> Any:
    """One string in its shortest exact form: a UUID, an integer, a date-time or itself."""
    size = len(text)
    if size == 36 and _UUID.fullmatch(text):
        return cbor2.CBORTag(_UUID_TAG, bytes.fromhex(text.replace("-", "")))
    if size >= 4 and _LONG_NUMBER.fullmatch(text):
        return cbor2.CBORTag(_DIGITS_TAG, int(text))
    if size == 19 and _DATE_TIME.fullmatch(text):
        seconds = _seconds(text)
        if seconds is not None:
            return cbor2.CBORTag(_DATE_TIME_TAG, seconds)
    return text


def unpacked_text(value: Any) -> str:
    """The string a `pack_text` result was made from; raises `ValueError` for anything else."""
    if not isinstance(value, str):
        raise ValueError("not a string")
    return value


def _seconds(text: str) -> int | None:
    """Seconds since the epoch of a date-time text that reads back the same, else None."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (moment - _NAIVE_EPOCH) // _SECOND


def _unpack_digits(value: Any, immutable: bool) -> str:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError("bad digit string")
    return str(value)


def _unpack_date_time(value: Any, immutable: bool) -> str:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError("bad date-time")
    return (_NAIVE_EPOCH + value * _SECOND).isoformat(sep=" ")


def _unpack_uuid(value: Any, immutable: bool) -> str:
    if not isinstance(value, bytes) or len(value) != 16:
        raise ValueError("bad UUID")
    hexed = value.hex()
    return f"{hexed[:8]}-{hexed[8:12]}-{hexed[12:16]}-{hexed[16:20]}-{hexed[20:]}"


_UNPACKERS = {
    _DIGITS_TAG: _unpack_digits,
    _DATE_TIME_TAG: _unpack_date_time,
    _UUID_TAG: _unpack_uuid,
}
