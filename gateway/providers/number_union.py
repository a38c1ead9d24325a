"""A phone-number filter as a union of listings the CarrierX filter grammar can say.

The grammar has only `and`, so "sender, recipient or a group recipient is X" is read as three
*parts*: `number_src eq X`, `number_dst eq X`, and the MMS listing (`type eq 'mms'`: only
MMS carry group recipients), whose records the gateway checks for X. Each part is a
subsequence of the account's own order; their union, merged with duplicates removed, is the
filtered stream. Records of one millisecond take the order of a part that holds them all;
when none does, the parts alone cannot place them, and the adapter reads that millisecond
once more, unfiltered by number, to learn the API's order (`tie_orders`).

Where each part stood is the resume hint: per part, the id of its last matching record at or
before the position, or None when it has none since the stream began (then every record of
that part in the position's millisecond lies beyond it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gateway.records import MessageType, Order, SmsRecord

Place = str | None
"""A part's place: the id of its last record passed, or None for none yet."""


def part_terms(number: str, wanted_type: MessageType | None) -> list[str | None]:
    """The extra filter term of each part, in a fixed order; None for a part the type filter
    rules out (an SMS has no group recipients). `number` is E.164; CarrierX stores numbers
    as digits without the `+`."""
    digits = number.removeprefix("+")
    mms = None if wanted_type is MessageType.SMS else "type eq 'mms'"
    return [f"number_src eq '{digits}'", f"number_dst eq '{digits}'", mms]


@dataclass(frozen=True, slots=True)
class UnionHint:
    """The places of every part, for the order of travel that made them."""

    order: Order
    places: tuple[Place, ...]

    def dump(self) -> dict[str, Any]:
        return {"o": self.order.value, "n": list(self.places)}

    @classmethod
    def parse(cls, hint: Any, order: Order, parts: int, valid: Any) -> UnionHint | None:
        """The hint if it is one of these, for this order; `valid(sid)` checks each id."""
        if not isinstance(hint, dict) or hint.get("o") != order.value:
            return None
        places = hint.get("n")
        if not isinstance(places, list) or len(places) != parts:
            return None
        if not all(place is None or (isinstance(place, str) and valid(place)) for place in places):
            return None
        return cls(order, tuple(places))


def merge_parts(parts: Sequence[Sequence[SmsRecord]], order: Order) -> list[SmsRecord]:
    """The parts' records (each listed in `order`) merged by time, each once; records of
    one millisecond keep the order of the first part that holds them (see `order_ties`)."""
    first_seen: dict[str, tuple[int, int]] = {}
    records: dict[str, SmsRecord] = {}
    for number, part in enumerate(parts):
        for index, record in enumerate(part):
            records.setdefault(record.provider_record_id, record)
            first_seen.setdefault(record.provider_record_id, (number, index))
    merged = sorted(records.values(), key=lambda record: first_seen[record.provider_record_id])
    merged.sort(key=lambda record: record.created_at, reverse=order is Order.DESC)
    return merged


def tie_orders(
    merged: Sequence[SmsRecord], parts: Sequence[Sequence[SmsRecord]]
) -> list[tuple[datetime, Sequence[SmsRecord] | None]]:
    """Each millisecond that holds several records, with a part that holds them all (its
    order is theirs) or None when none does: their order is then the API's, which only a
    listing of that millisecond unfiltered by number shows."""
    by_time: dict[datetime, set[str]] = {}
    for record in merged:
        by_time.setdefault(record.created_at, set()).add(record.provider_record_id)
    holdings = [{record.provider_record_id for record in part} for part in parts]
    return [
        (
            moment,
            next((part for part, held in zip(parts, holdings, strict=True) if ids <= held), None),
        )
        for moment, ids in by_time.items()
        if len(ids) > 1
    ]


def order_ties(
    merged: list[SmsRecord], moment: datetime, ranked: Sequence[SmsRecord]
) -> list[SmsRecord]:
    """`merged` with its records of `moment` put in the order they have in `ranked`."""
    place = {record.provider_record_id: index for index, record in enumerate(ranked)}
    tied = sorted(
        (record for record in merged if record.created_at == moment),
        key=lambda record: place.get(record.provider_record_id, len(place)),
    )
    replacements = iter(tied)
    return [next(replacements) if r.created_at == moment else r for r in merged]


def places_along(
    merged: Sequence[SmsRecord],
    listings: Sequence[Sequence[SmsRecord]],
    start: tuple[Place, ...],
    order: Order,
) -> list[tuple[Place, ...]]:
    """Each part's place after each record of `merged`, from the places at `start`: the
    last record it listed (in `order`) that lies at or before that record. A record the
    union left out (one the gateway's checks dropped) counts as passed when it lies in an
    earlier millisecond, or before a passed one of its own listing; one of the same
    millisecond is left ahead, so that it is read again rather than skipped."""
    passed: set[str] = set()
    places = list(start)
    reached = [0] * len(listings)
    along = []
    for record in merged:
        passed.add(record.provider_record_id)
        for number, listing in enumerate(listings):
            scan = reached[number]
            while scan < len(listing) and not _later(listing[scan], record, order):
                candidate = listing[scan]
                scan += 1
                if candidate.provider_record_id in passed or _later(record, candidate, order):
                    reached[number] = scan
                    places[number] = candidate.provider_record_id
        along.append(tuple(places))
    return along


def _later(one: SmsRecord, other: SmsRecord, order: Order) -> bool:
    """Whether `one` lies in a later millisecond than `other`, in `order`."""
    if order is Order.ASC:
        return one.created_at > other.created_at
    return one.created_at < other.created_at
