"""A phone-number filter as a union of listings the CarrierX filter grammar can say.

The grammar has only `and`, so "sender, recipient or a group recipient is X" is read as three
*parts*: `number_src eq X`, `number_dst eq X`, and the MMS listing (`type eq 'mms'`: only
MMS carry group recipients), whose records the gateway checks for X. Each part is a
subsequence of the account's own order; their union, merged with duplicates removed, is the
filtered stream. Records of one millisecond take the order of a part that holds them all;
when none does, the parts alone cannot place them, and the adapter reads that millisecond
once more, unfiltered by number, to learn the API's order (`tie_orders`).

Where each part stood is the resume hint, kept small: after a record of this account, each
part continues from that record's millisecond by time, which is exact unless the part has
already passed a record in it. So a part's place is `AT_BOUNDARY` when it holds the record
itself (it continues after it), the id of its last record passed in that millisecond when
there is one (a tie), and None otherwise. After another account's record, every part
continues from that record's time: records of two accounts never tie.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gateway.records import MessageType, Order, SmsRecord

Place = str | None
"""A part's place after a record of its account: `AT_BOUNDARY`, a record id, or None."""

AT_BOUNDARY = "="
"""The place of a part that holds the boundary's record: right after it."""


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
        if not all(place in (None, AT_BOUNDARY) or valid(place) for place in places):
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


def places_at(
    merged: Sequence[SmsRecord],
    parts: Sequence[Sequence[SmsRecord]],
    boundary: tuple[datetime, tuple[str | None, ...]] | None,
) -> list[tuple[Place, ...]]:
    """Each part's place right after each record of `merged` (its records, in the order of
    travel): `AT_BOUNDARY` for a part that holds the record; else the id of the part's last
    record passed in the record's millisecond (`boundary` gives each part's last record
    passed in the millisecond of the page's own boundary, if any); else None."""
    members = [{record.provider_record_id for record in part} for part in parts]
    along = []
    for index, record in enumerate(merged):
        tied = []
        earlier = index - 1
        while earlier >= 0 and merged[earlier].created_at == record.created_at:
            tied.append(merged[earlier].provider_record_id)
            earlier -= 1
        carried = boundary[1] if boundary and boundary[0] == record.created_at else None
        places: list[Place] = []
        for number, held in enumerate(members):
            if record.provider_record_id in held:
                places.append(AT_BOUNDARY)
                continue
            last = next((sid for sid in tied if sid in held), None)
            if last is None and earlier < 0 and carried is not None:
                last = carried[number]
            places.append(last)
        along.append(tuple(places))
    return along
