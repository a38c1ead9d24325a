"""Totals of SMS records: how many, how many segments and what they cost, by any keys.

A `Tally` takes records a page at a time and keeps one running `Bucket` per distinct key,
never the records, so its memory is bounded by the number of buckets. Money is summed
exactly. Nothing here knows GraphQL, HTTP or providers.

Buckets sort by their key, compared key by key in the order of `group_by`: account names and
days (`YYYY-MM-DD`) as strings, hours in time, and enum values in their declaration order
(the order the schema lists them in). A grouped key is never null, since every record has an
account, a time, and a direction, status and type (catch-alls such as `UNKNOWN` included);
keys not grouped by are null in every bucket.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import MAX_PREC, Context, Decimal
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from gateway.errors import BadUserInput
from gateway.records import Direction, MessageType, SmsRecord, SmsStatus

_EXACT = Context(prec=MAX_PREC)
"""Decimal addition in this context never rounds."""


class StatsKey(enum.Enum):
    """What totals can be grouped by; the values name `BucketKey` attributes."""

    PROVIDER = "provider"
    DIRECTION = "direction"
    STATUS = "status"
    TYPE = "type"
    DAY = "day"
    HOUR = "hour"


RECORD_FIELDS: dict[StatsKey, str] = {
    StatsKey.PROVIDER: "provider",
    StatsKey.DIRECTION: "direction",
    StatsKey.STATUS: "status",
    StatsKey.TYPE: "type",
    StatsKey.DAY: "created_at",
    StatsKey.HOUR: "created_at",
}
"""The `SmsRecord` attribute each key is read from."""

TALLIED_FIELDS = frozenset({"segments", "price"})
"""The `SmsRecord` attributes every bucket sums, whatever the keys."""


@dataclass(frozen=True, slots=True)
class BucketKey:
    """The values a bucket's records share: None for each key not grouped by."""

    provider: str | None = None
    direction: Direction | None = None
    status: SmsStatus | None = None
    type: MessageType | None = None
    day: str | None = None  # calendar day in the request's zone, YYYY-MM-DD
    hour: datetime | None = None  # start of the UTC hour


@dataclass(slots=True)
class Bucket:
    """Running totals of the records of one key. `segments` adds the known counts;
    `price` sums the known prices exactly, and `unpriced_count` counts the others."""

    key: BucketKey = field(default_factory=BucketKey)
    count: int = 0
    segments: int = 0
    price: Decimal = Decimal(0)
    unpriced_count: int = 0

    def add(self, record: SmsRecord) -> None:
        self.count += 1
        self.segments += record.segments or 0
        if record.price is None:
            self.unpriced_count += 1
        else:
            self.price = _EXACT.add(self.price, record.price)

    def absorb(self, other: Bucket) -> None:
        """Adds another bucket's totals to this one's."""
        self.count += other.count
        self.segments += other.segments
        self.price = _EXACT.add(self.price, other.price)
        self.unpriced_count += other.unpriced_count


def zone_named(name: str) -> ZoneInfo:
    """The IANA zone of exactly that name; `BadUserInput` for any other name."""
    if name not in _zone_names():
        raise BadUserInput(
            f"timeZone {name!r} is not an IANA time zone name, such as America/Chicago or UTC."
        )
    return ZoneInfo(name)


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


_RANK: dict[Any, int] = {
    member: rank for kind in (Direction, SmsStatus, MessageType) for rank, member in enumerate(kind)
}


class Grouping:
    """How records map onto bucket keys, and how those keys sort."""

    def __init__(self, group_by: Sequence[StatsKey], zone: ZoneInfo) -> None:
        repeated = [key for index, key in enumerate(group_by) if key in group_by[:index]]
        if repeated:
            raise BadUserInput(f"groupBy lists {repeated[0].name} more than once.")
        self.group_by = tuple(group_by)
        readers: dict[StatsKey, Callable[[SmsRecord], Any]] = {
            StatsKey.PROVIDER: lambda record: record.provider,
            StatsKey.DIRECTION: lambda record: record.direction,
            StatsKey.STATUS: lambda record: record.status,
            StatsKey.TYPE: lambda record: record.type,
            StatsKey.DAY: lambda record: record.created_at.astimezone(zone).date().isoformat(),
            StatsKey.HOUR: lambda record: record.created_at.replace(
                minute=0, second=0, microsecond=0
            ),
        }
        self._readers = tuple(readers[key] for key in self.group_by)

    @property
    def fields(self) -> frozenset[str]:
        """The `SmsRecord` attributes a tally under this grouping reads."""
        return TALLIED_FIELDS | {RECORD_FIELDS[key] for key in self.group_by}

    def values_of(self, record: SmsRecord) -> tuple[Any, ...]:
        """The record's key values, in `group_by` order."""
        return tuple(read(record) for read in self._readers)

    def key(self, values: tuple[Any, ...]) -> BucketKey:
        return BucketKey(
            **{key.value: value for key, value in zip(self.group_by, values, strict=True)}
        )

    @staticmethod
    def sort_key(values: tuple[Any, ...]) -> tuple[Any, ...]:
        """Enum values by declaration order; strings and instants as they are."""
        return tuple(_RANK.get(value, value) for value in values)


class Tally:
    """One running bucket per distinct key seen, plus the total."""

    def __init__(self, grouping: Grouping) -> None:
        self._grouping = grouping
        self._buckets: dict[tuple[Any, ...], Bucket] = {}
        self.total = Bucket()

    def add(self, records: Iterable[SmsRecord]) -> None:
        values_of = self._grouping.values_of
        buckets = self._buckets
        for record in records:
            self.total.add(record)
            values = values_of(record)
            bucket = buckets.get(values)
            if bucket is None:
                bucket = buckets[values] = Bucket(self._grouping.key(values))
            bucket.add(record)

    def absorb(self, other: Tally) -> None:
        """Adds another tally of the same grouping (another account's) to this one."""
        self.total.absorb(other.total)
        for values, theirs in other._buckets.items():
            mine = self._buckets.get(values)
            if mine is None:
                mine = self._buckets[values] = Bucket(theirs.key)
            mine.absorb(theirs)

    def buckets(self) -> list[Bucket]:
        """The buckets, sorted by key (see the module docstring)."""
        ordered = sorted(self._buckets, key=self._grouping.sort_key)
        return [self._buckets[values] for values in ordered]
