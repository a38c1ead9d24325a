"""JSON-ready values in compact MessagePack, for cursors.

Providers' hints and record ids are opaque to the gateway, but much of their text is one of
a few shapes that have a shorter binary form: a canonical UUID (its 16 bytes), a long digit
string (its integer) and a `YYYY-MM-DD HH:MM:SS` date-time (seconds since the epoch), each
written as a MessagePack extension of this codec's own. `pack` rewrites such strings, and only
when `loads` gives the very same text back; anything else passes as it is, so every
JSON-ready value round-trips exactly (integers beyond 64 bits included).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, cast

import msgpack

_UUID_CODE, _DIGITS_CODE, _DATE_TIME_CODE, _BIG_INT_CODE = 1, 2, 3, 4

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_LONG_NUMBER = re.compile(r"[1-9][0-9]{3,63}")  # no leading zero: the integer reads back the same
_DATE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")
_NAIVE_EPOCH = datetime(1970, 1, 1)
_SECOND = timedelta(seconds=1)
_INT_RANGE = range(-(2**63), 2**64)  # what MessagePack holds as an integer


def dumps(value: Any) -> bytes:
    """The MessagePack form of a value already `pack`ed."""
    return cast(bytes, msgpack.packb(value))


def loads(data: bytes) -> Any:
    """The value `dumps` wrote, with every packed string unpacked; raises `ValueError` on
    bytes it did not write."""
    try:
        return msgpack.unpackb(data, ext_hook=_unpack, strict_map_key=False)
    except (ValueError, TypeError, msgpack.UnpackException) as error:
        raise ValueError(str(error)) from None


def pack(value: Any) -> Any:
    """A JSON-ready value with its strings in their shortest exact form (keys stay text)."""
    if isinstance(value, str):
        return pack_text(value)
    if isinstance(value, dict):
        return {key: pack(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [pack(item) for item in value]
    if isinstance(value, int) and not isinstance(value, bool) and value not in _INT_RANGE:
        return msgpack.ExtType(_BIG_INT_CODE, _signed_bytes(value))
    return value


@lru_cache(maxsize=4096)
def pack_text(text: str) -> Any:
    """One string in its shortest exact form: a UUID, an integer, a date-time or itself.
    Cached: hints repeat the same few strings page after page."""
    size = len(text)
    if size == 36 and _UUID.fullmatch(text):
        return msgpack.ExtType(_UUID_CODE, bytes.fromhex(text.replace("-", "")))
    if size >= 4 and _LONG_NUMBER.fullmatch(text):
        return msgpack.ExtType(_DIGITS_CODE, _signed_bytes(int(text)))
    if size == 19 and _DATE_TIME.fullmatch(text):
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return text
        if moment.isoformat(sep=" ") != text:
            return text
        seconds = (moment - _NAIVE_EPOCH) // _SECOND
        return msgpack.ExtType(_DATE_TIME_CODE, _signed_bytes(seconds))
    return text


def unpacked_text(value: Any) -> str:
    """The string a `pack_text` result was made from; raises `ValueError` for anything else."""
    if not isinstance(value, str):
        raise ValueError("not a string")
    return value


def _signed_bytes(number: int) -> bytes:
    return number.to_bytes(number.bit_length() // 8 + 1, "big", signed=True)


def _unpack(code: int, data: bytes) -> Any:
    if code == _UUID_CODE and len(data) == 16:
        hexed = data.hex()
        return f"{hexed[:8]}-{hexed[8:12]}-{hexed[12:16]}-{hexed[16:20]}-{hexed[20:]}"
    number = int.from_bytes(data, "big", signed=True)
    if code == _DIGITS_CODE and number > 0:
        return str(number)
    if code == _DATE_TIME_CODE:
        return (_NAIVE_EPOCH + number * _SECOND).isoformat(sep=" ")
    if code == _BIG_INT_CODE:
        return number
    raise ValueError(f"unknown extension {code}")
