"""Positions in the gateway's total order of records.

The order is (created_at, account name, the account's own order). A `Boundary` is the place of
one record; for any other account it splits that account's records by (created_at, account)
alone, since records of different accounts never tie.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from gateway.records import Order, SmsRecord


@dataclass(frozen=True, slots=True)
class Boundary:
    """A position in the total order: the place of one record (of any account)."""

    created_at: datetime
    provider: str
    record_id: str

    @classmethod
    def of(cls, record: SmsRecord) -> Boundary:
        return cls(record.created_at, record.provider, record.provider_record_id)


def is_after(record: SmsRecord, boundary: Boundary, order: Order) -> bool:
    """Whether a record lies strictly after a boundary set by *another* account."""
    mine = (record.created_at, record.provider)
    theirs = (boundary.created_at, boundary.provider)
    return mine > theirs if order is Order.ASC else mine < theirs


def furthest(held: Boundary | None, reached: Boundary, order: Order) -> Boundary:
    """An account's position once a page has reached an edge: the later of the two in `order`.

    An account that lagged (it failed on earlier pages) keeps its own place when the edge lies
    behind it; an edge of the same account at the same instant counts as later, since an
    account only yields records after its position.
    """
    if held is None:
        return reached
    edge = (reached.created_at, reached.provider)
    own = (held.created_at, held.provider)
    if edge == own:
        return reached
    ahead = edge > own if order is Order.ASC else edge < own
    return reached if ahead else held
