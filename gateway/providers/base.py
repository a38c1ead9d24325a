"""The contract between the service and each provider kind.

A provider adapter is the only code that knows a provider's API. The service asks it for
*streams*: the records of one account in creation order, strictly after a position in the
gateway's total order, narrowed by a filter. Positions are `Boundary` values that any adapter
can interpret: a boundary set by another account compares by (created_at, account name) alone;
a boundary set by the adapter's own account also names its record, so the adapter resolves
same-time ties in its native order.

For totals, an adapter also *scans*: it reads every record of a window once, in the largest
pages its API allows, one upstream call a page, and hands them over page by page, so that the
caller can add them up without ever holding them all.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from gateway.paging.position import Boundary, is_after
from gateway.records import (
    Order,
    ProviderCapability,
    ProviderKind,
    RecordFilter,
    SmsRecord,
    TimeWindow,
)

__all__ = [
    "Boundary",
    "ProviderAdapter",
    "ScanPage",
    "Stream",
    "StreamEntry",
    "StreamQuery",
    "is_after",
]


@dataclass(frozen=True, slots=True)
class StreamQuery:
    """Ask for at most `limit` records matching `filter` inside `window`, in `order`,
    strictly after `after` in that order (from the window's edge when `after` is None)."""

    order: Order
    window: TimeWindow
    filter: RecordFilter
    after: Boundary | None
    limit: int
    fields: frozenset[str] | None = None  # `SmsRecord` attributes the client reads; None: all
    resume: Any = None  # the hint this account left in the cursor (see `Stream`)


@dataclass(frozen=True, slots=True)
class StreamEntry:
    """One record of a stream and a JSON-ready hint for resuming right after it (None when
    the boundary alone serves as well)."""

    record: SmsRecord
    resume: Any = None


@dataclass(frozen=True, slots=True)
class Stream:
    """What `ProviderAdapter.stream` found: its entries in stream order, and a `lead` hint
    for resuming anywhere from the query's boundary up to the first record (anywhere past
    the boundary when there are none).

    The service puts the hint of each account's last record on the page into the cursor (the
    lead when none of its records made the page) and hands it back as `StreamQuery.resume` on
    the next page, so an adapter can continue where its provider's own paging stood (a
    DIDforSale page token and offset, or time window) instead of searching again. A hint is
    only an economy: the boundary alone must always be enough, and an adapter ignores a hint
    it cannot use.
    """

    entries: Sequence[StreamEntry] = ()
    lead: Any = None

    @classmethod
    def of(cls, records: Iterable[SmsRecord]) -> Stream:
        """A stream of records that need no resume hints: the boundary alone finds the place."""
        return cls([StreamEntry(record) for record in records])

    @property
    def records(self) -> list[SmsRecord]:
        """The records alone, in stream order."""
        return [entry.record for entry in self.entries]


@dataclass(frozen=True, slots=True)
class ScanPage:
    """One provider page of a scan: its records that match, and whether pages follow, so
    that a caller bounding its calls knows whether stopping here leaves records unread."""

    records: list[SmsRecord]
    more: bool


class ProviderAdapter(Protocol):
    """One configured account of one provider kind."""

    @property
    def name(self) -> str:
        """The account name from config; breaks creation-time ties between accounts."""
        ...

    @property
    def kind(self) -> ProviderKind: ...

    @property
    def capabilities(self) -> frozenset[ProviderCapability]: ...

    async def stream(self, query: StreamQuery) -> Stream:
        """Up to `query.limit` matching records after `query.after`, in `query.order`.

        Fewer than `limit` means the stream is exhausted. Every returned record matches
        `query.filter` and lies in `query.window`: what the API cannot narrow, the adapter
        filters itself, fetching on until it has `limit` records or the API has no more.
        Raises `ProviderFailure` subclasses.
        """
        ...

    def scan(
        self, window: TimeWindow, record_filter: RecordFilter, fields: frozenset[str]
    ) -> AsyncGenerator[ScanPage, None]:
        """Every record matching `record_filter` in `window`, oldest first, one provider page
        at a time: one upstream call (or a cached page) each, of the largest size the API
        allows, with the filter pushed down as for streams. `fields` names the `SmsRecord`
        attributes the caller reads; others may be left unread. Yields nothing, calling no
        one, when the filter rules the account out. Raises `ProviderFailure` subclasses."""
        ...

    async def get_many(self, node_keys: list[str]) -> list[SmsRecord | None]:
        """Records by node key (the part of a global id after the account name), in order;
        None where the provider has no such record. Raises `MalformedRecordId` for a key
        this kind could not have produced."""
        ...

    async def update_user_data(self, node_key: str, user_data: str | None) -> SmsRecord | None:
        """Store `user_data` on a record and return the updated record, None if unknown.

        Raises `UnsupportedByProvider` where the API cannot store it."""
        ...

    async def check(self) -> None:
        """A cheap authenticated call, for readiness; raises `ProviderFailure`."""
        ...
