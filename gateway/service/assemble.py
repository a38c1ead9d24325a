"""Putting a page together from the accounts' answers: merge, cut, cursors, page info.

Cursors are made lazily: each edge holds what its cursor needs, and the cursor is encoded
and signed only when read, so a query that selects none pays for none.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from gateway.errors import ProviderFailure
from gateway.paging.cursor import Cursor, CursorCodec
from gateway.paging.merge import merge_streams
from gateway.paging.position import Boundary, furthest
from gateway.providers.base import Stream, StreamEntry
from gateway.records import SmsRecord
from gateway.service.fanout import Answer
from gateway.service.page import Edge, ProviderStatus, RecordPage
from gateway.service.planner import AccountAsk, PagePlan


def assemble(plan: PagePlan, answers: Sequence[Answer], codec: CursorCodec) -> RecordPage:
    """The page in the query's order; `answers` holds one per `plan.asks`, in that order.

    A failed account makes the page partial: more records may follow it, so the page says
    so even when the others are exhausted.
    """
    failures = [answer for answer in answers if isinstance(answer, ProviderFailure)]
    merged = merge_streams(_entries(answers), plan.travel, record_of=_record_of)
    edges = _edges(plan, answers, merged[: plan.size], codec)
    # In travel order, records lie ahead when the merge ran over (or an account failed) and
    # behind when the page continues from a cursor; a backward page sees them reversed.
    ahead, behind = len(merged) > plan.size or bool(failures), plan.cursor is not None
    if not plan.forward:
        edges.reverse()
        ahead, behind = behind, ahead
    return RecordPage(
        edges=edges,
        has_next_page=ahead,
        has_previous_page=behind,
        continued_from=plan.cursor,
        provider_status=[
            _status(ask, answer) for ask, answer in zip(plan.asks, answers, strict=True)
        ],
        failures=failures,
    )


def _entries(answers: Sequence[Answer]) -> Iterator[Sequence[StreamEntry]]:
    return (answer.entries for answer in answers if isinstance(answer, Stream))


def _record_of(entry: StreamEntry) -> SmsRecord:
    return entry.record


def _edges(
    plan: PagePlan, answers: Sequence[Answer], entries: Sequence[StreamEntry], codec: CursorCodec
) -> list[Edge]:
    """The page's edges in travel order, each able to make its cursor.

    Each account's hint at an edge is that of its last record up to the edge, else the lead
    of its stream, else the one it brought (a failed account keeps it).
    """
    failed = frozenset(
        ask.name
        for ask, answer in zip(plan.asks, answers, strict=True)
        if isinstance(answer, ProviderFailure)
    )
    cursors = _PageCursors(plan, codec, {ask.name: ask.query.after for ask in plan.asks}, failed)
    hints = {ask.name: _lead(ask, answer) for ask, answer in zip(plan.asks, answers, strict=True)}
    edges = []
    for entry in entries:
        hints[entry.record.provider] = entry.resume
        edges.append(Edge(entry.record, partial(cursors.at, entry.record, dict(hints))))
    return edges


@dataclass(frozen=True, slots=True)
class _PageCursors:
    """What every cursor of a page shares: the plan, each account's position before the
    page (`held`) and the accounts that failed on it."""

    plan: PagePlan
    codec: CursorCodec
    held: dict[str, Boundary | None]
    failed: frozenset[str]

    def at(self, record: SmsRecord, hints: dict[str, Any]) -> str:
        """The cursor of the edge of `record`: failed accounts keep their positions, the
        others move up to the edge unless they already stand beyond it."""
        edge, travel = Boundary.of(record), self.plan.travel
        positions = {
            name: place if name in self.failed else furthest(place, edge, travel)
            for name, place in self.held.items()
        }
        lagging = {name: place for name, place in positions.items() if place != edge}
        live = {name: hint for name, hint in hints.items() if hint is not None}
        plan = self.plan
        cursor = Cursor(plan.order, plan.filter_hash, plan.window, edge, lagging, live, travel)
        return self.codec.encode(cursor)


def _lead(ask: AccountAsk, answer: Answer) -> Any:
    """An account's hint before any of its records is on the page."""
    if isinstance(answer, Stream) and answer.lead is not None:
        return answer.lead
    return ask.query.resume


def _status(ask: AccountAsk, answer: Answer) -> ProviderStatus:
    if isinstance(answer, ProviderFailure):
        return ProviderStatus(ask.name, False, answer.code, answer.message)
    return ProviderStatus(ask.name, True)
