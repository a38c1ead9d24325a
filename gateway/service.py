"""RecordService: plans a page, asks every account in parallel, merges, builds cursors.

It knows neither GraphQL nor HTTP: the schema hands it plain values and gets plain values
back. A page in either direction is a forward walk in the *travel order* (the query's order
for `first/after`, its reverse for `last/before`): every account is asked for `n + 1`
records after its position, the streams are merged, the first `n` are the page and the
`n + 1`-th tells whether more follow. `last/before` pages are turned back into query order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from gateway.errors import (
    BadCursor,
    BadUserInput,
    MalformedRecordId,
    NotFound,
    ProviderError,
    ProviderFailure,
)
from gateway.paging.cursor import Cursor, CursorCodec, filter_hash
from gateway.paging.merge import merge_streams
from gateway.paging.position import Boundary, furthest
from gateway.providers.base import ProviderAdapter, Stream, StreamQuery
from gateway.records import MAX_USER_DATA_LENGTH, Order, RecordFilter, SmsRecord, TimeWindow

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PagingRules:
    """Page-size limits and the default time window, from `[server]`."""

    default_page_size: int = 20
    max_page_size: int = 100
    default_window_days: int = 30


@dataclass(frozen=True, slots=True)
class PageRequest:
    """The connection arguments, as the client sent them."""

    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None
    filter: RecordFilter = field(default_factory=RecordFilter)
    order: Order = Order.DESC
    fields: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class Edge:
    record: SmsRecord
    cursor: str


@dataclass(frozen=True, slots=True)
class ProviderStatus:
    """How one account fared while serving a page."""

    provider: str
    ok: bool
    code: str | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class RecordPage:
    """One connection page, in the query's order."""

    edges: list[Edge]
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None
    provider_status: list[ProviderStatus]
    failures: list[ProviderFailure]


def split_node_id(node_id: str) -> tuple[str, str]:
    """`account:key` → (account, key); the key's form is the adapter's business."""
    provider, sep, key = node_id.partition(":")
    if not sep or not provider or not key:
        raise MalformedRecordId("The id does not name an SMS record.")
    return provider, key


def node_id_of(record: SmsRecord) -> str:
    """The inside of a record's global id: its account and what the account needs to find it."""
    return f"{record.provider}:{record.node_key}"


class RecordService:
    """Everything the API can do with records, over every configured account."""

    def __init__(
        self,
        adapters: Sequence[ProviderAdapter],
        codec: CursorCodec,
        rules: PagingRules,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._adapters = {adapter.name: adapter for adapter in adapters}
        self._codec = codec
        self._rules = rules
        self._clock = clock

    @property
    def rules(self) -> PagingRules:
        return self._rules

    @property
    def adapters(self) -> list[ProviderAdapter]:
        return list(self._adapters.values())

    async def page(self, request: PageRequest) -> RecordPage:
        size, forward = self._page_size(request)
        fhash = filter_hash(request.filter)
        given = request.after if forward else request.before
        cursor = self._decode(given, request.order, fhash) if given is not None else None
        window = cursor.window if cursor else self._window(request.filter)
        travel = request.order if forward else request.order.reverse
        adapters = self._select(request.filter)
        carried = cursor.hints_for(travel) if cursor else {}

        results = await asyncio.gather(
            *(
                self._stream(
                    adapter,
                    StreamQuery(
                        order=travel,
                        window=window,
                        filter=request.filter,
                        after=cursor.position_of(adapter.name) if cursor else None,
                        limit=size + 1,
                        fields=request.fields,
                        resume=carried.get(adapter.name),
                    ),
                )
                for adapter in adapters
            )
        )
        failures = [r for r in results if isinstance(r, ProviderFailure)]
        streams = [r for r in results if not isinstance(r, ProviderFailure)]
        merged = merge_streams(streams, travel)
        more = len(merged) > size or bool(failures)

        failed = {failure.provider for failure in failures}
        held = {a.name: cursor.position_of(a.name) if cursor else None for a in adapters}
        hints = {a.name: carried.get(a.name) for a in adapters}
        for adapter, result in zip(adapters, results, strict=True):
            if not isinstance(result, ProviderFailure) and result.lead is not None:
                hints[adapter.name] = result.lead
        resume_after = {
            id(record): hint
            for stream in streams
            for record, hint in zip(stream, stream.resume, strict=True)
        }
        edges = []
        for record in merged[:size]:
            hints[record.provider] = resume_after[id(record)]
            cursor_text = self._edge_cursor(
                request.order, fhash, window, travel, record, held, failed, hints
            )
            edges.append(Edge(record, cursor_text))
        if not forward:
            edges.reverse()
        start_cursor = edges[0].cursor if edges else given
        end_cursor = edges[-1].cursor if edges else given
        return RecordPage(
            edges=edges,
            has_next_page=more if forward else given is not None,
            has_previous_page=given is not None if forward else more,
            start_cursor=start_cursor,
            end_cursor=end_cursor,
            provider_status=[
                _status(adapter.name, result)
                for adapter, result in zip(adapters, results, strict=True)
            ],
            failures=failures,
        )

    def _edge_cursor(
        self,
        order: Order,
        fhash: str,
        window: TimeWindow,
        travel: Order,
        record: SmsRecord,
        held: dict[str, Boundary | None],
        failed: set[str],
        hints: dict[str, Any],
    ) -> str:
        """Every account's position at this edge: failed accounts keep theirs, the others
        move up to the edge unless they already stand beyond it."""
        edge = Boundary.of(record)
        positions = {
            name: held[name] if name in failed else furthest(held[name], edge, travel)
            for name in held
        }
        lagging = {name: position for name, position in positions.items() if position != edge}
        live = {name: hint for name, hint in hints.items() if hint is not None}
        return self._codec.encode(Cursor(order, fhash, window, edge, lagging, live, travel))

    def _page_size(self, request: PageRequest) -> tuple[int, bool]:
        """Checks the Relay arguments; returns (page size, travelling forward)."""
        if request.first is not None and request.last is not None:
            raise BadUserInput("Give either `first` or `last`, not both.")
        if request.first is not None and request.before is not None:
            raise BadUserInput("`first` pages forward: use it with `after`, not `before`.")
        if request.last is not None and request.after is not None:
            raise BadUserInput("`last` pages backward: use it with `before`, not `after`.")
        if request.after is not None and request.before is not None:
            raise BadUserInput("Give either `after` or `before`, not both.")
        forward = request.last is None and request.before is None
        size = request.first if forward else request.last
        if size is None:
            return self._rules.default_page_size, forward
        if not 0 <= size <= self._rules.max_page_size:
            name = "first" if forward else "last"
            raise BadUserInput(
                f"`{name}` must be between 0 and {self._rules.max_page_size}, got {size}."
            )
        return size, forward

    def _decode(self, text: str, order: Order, fhash: str) -> Cursor:
        cursor = self._codec.decode(text)
        if cursor.order is not order:
            raise BadCursor("The cursor was made for another `orderBy`.")
        if cursor.filter_hash != fhash:
            raise BadCursor("The cursor was made for another `filter`.")
        return cursor

    def _window(self, record_filter: RecordFilter) -> TimeWindow:
        """The walk's fixed time range, set by its first page and carried by its cursors:
        from `createdAfter`, else `default_window_days` before its end; to `createdBefore`,
        else now."""
        start, end = record_filter.created_after, record_filter.created_before
        if start is not None and end is not None and start > end:
            raise BadUserInput("filter.createdAfter must not be later than filter.createdBefore.")
        end = end or self._clock()
        start = start or end - timedelta(days=self._rules.default_window_days)
        return TimeWindow(start, max(start, end))

    def reach(self, record_filter: RecordFilter) -> tuple[TimeWindow, list[ProviderAdapter]]:
        """The time window and the accounts a walk with this filter covers, as its first page
        sets them; totals cover the same. Raises `BadUserInput` as that page would."""
        return self._window(record_filter), self._select(record_filter)

    def _select(self, record_filter: RecordFilter) -> list[ProviderAdapter]:
        if record_filter.providers is None:
            return self.adapters
        unknown = sorted(record_filter.providers - self._adapters.keys())
        if unknown:
            known = ", ".join(sorted(self._adapters))
            raise BadUserInput(f"Unknown provider {unknown[0]!r}; configured: {known}.")
        return [a for name, a in self._adapters.items() if name in record_filter.providers]

    async def _stream(
        self, adapter: ProviderAdapter, query: StreamQuery
    ) -> Stream | ProviderFailure:
        try:
            return await adapter.stream(query)
        except ProviderFailure as failure:
            return failure
        except Exception:
            log.exception("adapter %s failed unexpectedly", adapter.name)
            return ProviderError(adapter.name, f"Provider {adapter.name!r} failed unexpectedly.")

    async def get_records(self, node_ids: Sequence[str]) -> list[SmsRecord | Exception | None]:
        """Records by the inside of their global ids, batched per account (for DataLoaders).

        Each slot holds the record, None when it does not exist, or the error for that id.
        """
        found: list[SmsRecord | Exception | None] = [None] * len(node_ids)
        by_provider: dict[str, list[tuple[int, str]]] = {}
        for index, node_id in enumerate(node_ids):
            try:
                provider, key = split_node_id(node_id)
            except MalformedRecordId as exc:
                found[index] = exc
                continue
            if provider in self._adapters:
                by_provider.setdefault(provider, []).append((index, key))

        async def fetch(provider: str, wanted: list[tuple[int, str]]) -> None:
            adapter = self._adapters[provider]
            try:
                records = await adapter.get_many([key for _, key in wanted])
            except MalformedRecordId:
                if len(wanted) > 1:
                    await asyncio.gather(*(fetch(provider, [one]) for one in wanted))
                    return
                records = [MalformedRecordId("The id does not name an SMS record.")]
            except ProviderFailure as failure:
                records = [failure] * len(wanted)
            for (index, _), record in zip(wanted, records, strict=True):
                found[index] = record

        await asyncio.gather(*(fetch(p, wanted) for p, wanted in by_provider.items()))
        return found

    async def update_user_data(self, node_id: str, user_data: str | None) -> SmsRecord:
        """Raises BadUserInput, NotFound, UnsupportedByProvider or ProviderFailure."""
        if user_data is not None and len(user_data) > MAX_USER_DATA_LENGTH:
            raise BadUserInput(
                f"userData holds {len(user_data)} characters; at most {MAX_USER_DATA_LENGTH}."
            )
        provider, key = split_node_id(node_id)
        adapter = self._adapters.get(provider)
        if adapter is None:
            raise NotFound("No SMS record has this id.")
        record = await adapter.update_user_data(key, user_data)
        if record is None:
            raise NotFound("No SMS record has this id.")
        return record

    async def readiness(self) -> dict[str, ProviderStatus]:
        """Asks every account for a cheap authenticated answer."""

        async def probe(adapter: ProviderAdapter) -> ProviderStatus:
            try:
                await adapter.check()
            except ProviderFailure as failure:
                return ProviderStatus(adapter.name, False, failure.code, failure.message)
            return ProviderStatus(adapter.name, True)

        statuses = await asyncio.gather(*(probe(a) for a in self.adapters))
        return {status.provider: status for status in statuses}


def _status(provider: str, result: Stream | ProviderFailure) -> ProviderStatus:
    if isinstance(result, ProviderFailure):
        return ProviderStatus(provider, False, result.code, result.message)
    return ProviderStatus(provider, True)
