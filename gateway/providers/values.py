"""Readers for the JSON values providers send, lenient about shape, strict about meaning.

Each raises `ValueError` for a value it cannot read; adapters turn that into `bad_record`,
because a record with an unreadable price or date must not be passed on as if it were fine.
Enumerations are the exception: a value outside the documented set is the provider's to add,
so it maps to a catch-all member and the record keeps its `raw` value.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from gateway.errors import ProviderError, account_label
from gateway.records import Direction, ProviderKind, SmsStatus

Member = TypeVar("Member", bound=enum.Enum)


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


def member(kind: type[Member], value: object, fallback: Member) -> Member:
    """The member a provider's string names, whatever its case and padding; `fallback` for
    any other value, null included, so that a new provider value never fails a reply."""
    if isinstance(value, str):
        try:
            return kind(value.strip().lower())
        except ValueError:
            pass
    return fallback


def direction(value: object) -> Direction:
    """Unknown or missing directions are `UNDIRECTED`, the schema's "could not be determined"."""
    return member(Direction, value, Direction.UNDIRECTED)


def status(value: object) -> SmsStatus:
    """Unknown or missing statuses are `UNKNOWN`; `raw_text` keeps what the provider sent."""
    return member(SmsStatus, value, SmsStatus.UNKNOWN)


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


def bad_record(kind: ProviderKind, account: str, problem: str) -> ProviderError:
    """The error that fails a whole reply for one record that cannot be read, rather than
    dropping the record silently."""
    return ProviderError(account, f"{account_label(kind.value, account)} sent a record {problem}")
