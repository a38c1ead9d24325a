"""Conversions between UTC instants and a zone's wall-clock times, for APIs that speak local time.

Reading a wall time (`wall_to_utc`) must be monotone, because the provider lists records in
wall-clock order and the gateway merges them in UTC order. So:

- in the repeated hour when clocks go back, both occurrences of a wall time map to the first
  (`fold=0`): the two occurrences cannot be told apart in the value anyway;
- a wall time skipped when clocks go forward (which a real clock never shows) maps to the
  instant of the jump.

Asking for a UTC range (`wall_range`) must neither miss a record nor list more than needed
(a wider range costs calls when rows are dense), so it is the exact preimage of the range under
`wall_to_utc`: the whole-second wall times that map into it. Since that mapping is monotone,
the preimage is one interval of wall times, found by bisection across the zone's changes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

_SECOND = timedelta(seconds=1)
_WIDEST_OFFSET = timedelta(hours=27)
_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
_LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def wall_to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of a naive wall-clock time in `zone` (see the module docstring)."""
    instant = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == wall:
        return instant
    return _jump_instant(wall, zone)


def wall_range(start: datetime, end: datetime, zone: ZoneInfo) -> tuple[datetime, datetime] | None:
    """Inclusive naive wall-clock bounds, whole seconds, holding exactly the wall times whose
    `wall_to_utc` lies in `[start, end)` (aware datetimes); None when no whole-second wall
    time does, so that no call is made for it."""
    first = _first_wall_from(min(max(start, _EARLIEST), _LATEST), zone)
    last = _first_wall_from(min(max(end, _EARLIEST), _LATEST), zone) - _SECOND
    return (first, last) if first <= last else None


def floor_second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def _first_wall_from(moment: datetime, zone: ZoneInfo) -> datetime:
    """The earliest whole-second wall time whose `wall_to_utc` is at or after `moment`: a
    bisection over the seconds around its UTC reading, which no zone offset exceeds."""
    reading = floor_second(moment.astimezone(UTC).replace(tzinfo=None))
    low, high = reading - _WIDEST_OFFSET, reading + _WIDEST_OFFSET
    while high - low > _SECOND:
        middle = low + timedelta(seconds=(high - low) // _SECOND // 2)
        if wall_to_utc(middle, zone) >= moment:
            high = middle
        else:
            low = middle
    return high


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
