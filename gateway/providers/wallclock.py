"""Conversions between UTC instants and a zone's wall-clock times, for APIs that speak local time.

Reading a wall time (`wall_to_utc`) must be monotone, because the provider lists records in
wall-clock order and the gateway merges them in UTC order. So:

- in the repeated hour when clocks go back, both occurrences of a wall time map to the first
  (`fold=0`): the two occurrences cannot be told apart in the value anyway;
- a wall time skipped when clocks go forward (which a real clock never shows) maps to the
  instant of the jump.

Asking for a UTC range (`wall_range`) must never miss a record, so it widens by the zone's
offsets around each end; the caller filters by the mapped instant afterwards.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

_SECOND = timedelta(seconds=1)
_MICROSECOND = timedelta(microseconds=1)
_AROUND = (timedelta(hours=-6), timedelta(0), timedelta(hours=6))
_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
_LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def wall_to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of a naive wall-clock time in `zone` (see the module docstring)."""
    instant = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == wall:
        return instant
    return _jump_instant(wall, zone)


def wall_range(start: datetime, end: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Inclusive naive wall-clock bounds, whole seconds, that cover every wall time whose
    `wall_to_utc` lies in `[start, end)` (aware datetimes)."""
    first = min(max(start, _EARLIEST), _LATEST)
    last = min(max(end - _MICROSECOND, _EARLIEST), _LATEST)
    low = first + min(_offsets_around(first, zone))
    high = last + max(_offsets_around(last, zone))
    return _naive_second(low), _naive_second(high)


def floor_second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def _offsets_around(moment: datetime, zone: ZoneInfo) -> list[timedelta]:
    offsets = []
    for shift in _AROUND:
        offset = (moment + shift).astimezone(zone).utcoffset()
        offsets.append(offset if offset is not None else timedelta(0))
    return offsets


def _naive_second(moment: datetime) -> datetime:
    return floor_second(moment.astimezone(UTC).replace(tzinfo=None))


def _jump_instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """The instant clocks jumped over `wall`: between the readings with the offsets after
    (earlier instant) and before (later instant) the jump, where the offset changes."""
    low = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    target = high.astimezone(zone).utcoffset()
    while high - low > _SECOND:
        middle = floor_second(low + (high - low) / 2)
        if middle <= low:
            break
        if middle.astimezone(zone).utcoffset() == target:
            high = middle
        else:
            low = middle
    return high
