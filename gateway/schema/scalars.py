"""Custom scalars: `DateTime` always in UTC with `Z`, `Decimal` as a string, `JSON` as is.

Both keep money exact. `Decimal` goes out as `str(value)`: the value with its precision
(`0.00750` stays `0.00750`), with an exponent for tiny or exponent-form values (`1E-7`), which
every decimal parser reads and which keeps a hostile `1E+999999` short. `JSON` values hold a
provider's fractional numbers as `Decimal`, which the view encodes as exact JSON numbers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types.scalar import ScalarDefinition


def _serialize_datetime(value: datetime) -> str:
    text = value.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def _parse_datetime(value: Any) -> datetime:
    """Accepts ISO-8601 with `Z` or an offset; a value without one is read as UTC."""
    if not isinstance(value, str):
        raise ValueError("DateTime must be an ISO-8601 string, such as 2026-11-01T12:00:00Z.")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"{value!r} is not an ISO-8601 date-time, such as 2026-11-01T12:00:00Z."
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _parse_decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a decimal number.") from None


DateTimeScalar = strawberry.scalar(
    name="DateTime",
    description="An instant as ISO-8601 in UTC with a `Z`, e.g. `2026-11-01T12:00:00.000Z`.",
    serialize=_serialize_datetime,
    parse_value=_parse_datetime,
)

DecimalScalar = strawberry.scalar(
    name="Decimal",
    description="An exact decimal number, sent as a string (money is never a float).",
    serialize=str,
    parse_value=_parse_decimal,
)

SCALAR_MAP: dict[object, ScalarDefinition] = {
    datetime: DateTimeScalar,
    Decimal: DecimalScalar,
}

__all__ = ["JSON", "SCALAR_MAP"]
