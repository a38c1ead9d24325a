"""Readers for the JSON values providers send, lenient about shape, strict about meaning.

Each raises `ValueError` for a value it cannot read; adapters turn that into a
`ProviderError` naming the account, because a record with an unreadable price or date must not
be passed on as if it were fine.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from gateway.records import Direction


def money(value: object) -> Decimal | None:
    """An amount from a JSON string or number (decoded as `Decimal`, never float); null is None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise ValueError("not an amount")
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise ValueError("not an amount") from None
    if not amount.is_finite():
        raise ValueError("not a finite amount")
    return amount


def utc_instant(value: object) -> datetime:
    """An ISO-8601 instant with `Z`, an offset or none (read as UTC), with or without fraction."""
    if not isinstance(value, str):
        raise ValueError("not a date")
    moment = datetime.fromisoformat(value.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def direction(value: object) -> Direction:
    """Unknown or missing directions are `UNDIRECTED`, the schema's "could not be determined"."""
    if isinstance(value, str):
        try:
            return Direction(value.strip().lower())
        except ValueError:
            pass
    return Direction.UNDIRECTED


def text(value: object) -> str | None:
    """A string field, or None for null or a value of another type."""
    return value if isinstance(value, str) else None


def raw_text(value: object) -> str:
    """A field the schema shows as a non-null string: null becomes empty."""
    return "" if value is None else str(value)


def code(value: object) -> str | None:
    """A short code (mcc, mnc) that may come as a number or a string."""
    if value is None or isinstance(value, bool):
        return None
    rendered = str(value).strip()
    return rendered or None
