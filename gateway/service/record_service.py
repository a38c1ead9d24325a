"""RecordService: the API's operations on records, each over the accounts it concerns."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from gateway.auth import Caller
from gateway.auth.caller import OPEN_CALLER
from gateway.config import DEFAULT_REQUEST_DEADLINE_SECONDS
from gateway.errors import BadUserInput, Forbidden, MalformedRecordId, NotFound, ProviderFailure
from gateway.paging.cursor import CursorCodec
from gateway.providers.base import ProviderAdapter
from gateway.record_ids import NOT_A_RECORD, split_record_node_id
from gateway.records import MAX_USER_DATA_LENGTH, RecordFilter, SmsRecord, TimeWindow
from gateway.service.assemble import assemble
from gateway.service.deadline import Deadline
from gateway.service.fanout import fan_out
from gateway.service.page import PageRequest, PagingRules, ProviderStatus, RecordPage
from gateway.service.planner import PagePlanner


class RecordService:
    """Everything the API can do with records, over the accounts it holds.

    The server holds one over every configured account and hands each request the view
    `scoped` to its caller: a scoped service holds only the caller's accounts, so no
    operation can reach, list or name another one, and its cursors are bound to the caller.
    It also carries the request's deadline, so that everything the request asks of its
    accounts shares one budget of `deadline_seconds`.
    """

    def __init__(
        self,
        adapters: Sequence[ProviderAdapter],
        codec: CursorCodec,
        rules: PagingRules,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        *,
        caller: Caller | None = None,
        deadline_seconds: float = DEFAULT_REQUEST_DEADLINE_SECONDS,
        deadline: Deadline | None = None,
    ) -> None:
        self._adapters = {adapter.name: adapter for adapter in adapters}
        self._codec = codec.over(self._adapters)
        self._rules = rules
        self._clock = clock
        self._caller = caller
        self._deadline_seconds = deadline_seconds
        self._deadline = deadline
        self._planner = PagePlanner(self._codec, rules, clock, caller.name if caller else None)

    def scoped(self, caller: Caller) -> RecordService:
        """This service as `caller` sees it: only the accounts it may read; writes only if
        it may write. An open gateway's caller sees every account and binds no cursor.

        Made for one request, when it starts: the request's deadline runs from now."""
        readable = [self._adapters[name] for name in caller.readable(self._adapters)]
        bound = None if caller.name == OPEN_CALLER else caller
        return RecordService(
            readable,
            self._codec,
            self._rules,
            self._clock,
            caller=bound,
            deadline_seconds=self._deadline_seconds,
            deadline=Deadline.starting_now(self._deadline_seconds),
        )

    def deadline(self) -> Deadline:
        """The deadline of the request this service serves; a service not made for one
        request gives each call a budget of its own."""
        return self._deadline or Deadline.starting_now(self._deadline_seconds)

    @property
    def rules(self) -> PagingRules:
        return self._rules

    @property
    def adapters(self) -> list[ProviderAdapter]:
        return list(self._adapters.values())

    async def page(self, request: PageRequest) -> RecordPage:
        """Plan, ask every selected account at once, assemble. Raises `BadUserInput` or
        `BadCursor`; a failing account only makes the page partial."""
        plan = self._planner.plan(request, self._select)
        answers = await fan_out(plan.asks, self.deadline())
        return assemble(plan, answers, self._codec)

    def reach(self, record_filter: RecordFilter) -> tuple[TimeWindow, list[ProviderAdapter]]:
        """The time window and the accounts a walk with this filter covers, as its first page
        sets them; totals cover the same. Raises `BadUserInput` as that page would."""
        return self._planner.window_for(record_filter), self._select(record_filter)

    def _select(self, record_filter: RecordFilter) -> list[ProviderAdapter]:
        """The accounts a page reads: all, or those `filter.providers` names."""
        if record_filter.providers is None:
            return self.adapters
        unknown = sorted(record_filter.providers - self._adapters.keys())
        if unknown:
            known = ", ".join(sorted(self._adapters))
            raise BadUserInput(f"Unknown provider {unknown[0]!r}; configured: {known}.")
        return [a for name, a in self._adapters.items() if name in record_filter.providers]

    async def get_records(self, node_ids: Sequence[str]) -> list[SmsRecord | Exception | None]:
        """Records by the inside of their global ids, batched per account (for DataLoaders).

        Each slot holds the record, None when it does not exist, or the error for that id.
        """
        found: list[SmsRecord | Exception | None] = [None] * len(node_ids)
        deadline = self.deadline()
        by_provider: dict[str, list[tuple[int, str]]] = {}
        for index, node_id in enumerate(node_ids):
            try:
                provider, key = split_record_node_id(node_id)
            except MalformedRecordId as exc:
                found[index] = exc
                continue
            if provider in self._adapters:
                by_provider.setdefault(provider, []).append((index, key))

        async def fetch(provider: str, wanted: list[tuple[int, str]]) -> None:
            adapter = self._adapters[provider]
            records: Sequence[SmsRecord | Exception | None]
            try:
                records = await deadline.within(
                    adapter, adapter.get_many([key for _, key in wanted])
                )
            except MalformedRecordId:
                if len(wanted) > 1:
                    await asyncio.gather(*(fetch(provider, [one]) for one in wanted))
                    return
                records = [MalformedRecordId(NOT_A_RECORD)]
            except ProviderFailure as failure:
                records = [failure] * len(wanted)
            for (index, _), record in zip(wanted, records, strict=True):
                found[index] = record

        await asyncio.gather(*(fetch(p, wanted) for p, wanted in by_provider.items()))
        return found

    async def update_user_data(self, node_id: str, user_data: str | None) -> SmsRecord:
        """Raises BadUserInput, NotFound, Forbidden, UnsupportedByProvider or
        ProviderFailure. A record of an account the caller may not read does not exist for it."""
        if user_data is not None and len(user_data) > MAX_USER_DATA_LENGTH:
            raise BadUserInput(
                f"userData holds {len(user_data)} characters; at most {MAX_USER_DATA_LENGTH}."
            )
        provider, key = split_record_node_id(node_id)
        adapter = self._adapters.get(provider)
        if adapter is None:
            raise NotFound("No SMS record has this id.")
        if self._caller is not None and not self._caller.can_write:
            raise Forbidden(f"Client {self._caller.name!r} may not change userData.")
        record = await adapter.update_user_data(key, user_data)
        if record is None:
            raise NotFound("No SMS record has this id.")
        return record

    async def readiness(self) -> dict[str, ProviderStatus]:
        """Asks every account for a cheap authenticated answer, within one request deadline,
        so that a stalled account makes the probe answer "degraded", not time out."""
        deadline = self.deadline()

        async def probe(adapter: ProviderAdapter) -> ProviderStatus:
            try:
                await deadline.within(adapter, adapter.check())
            except ProviderFailure as failure:
                return ProviderStatus(adapter.name, False, failure.code, failure.message)
            return ProviderStatus(adapter.name, True)

        statuses = await asyncio.gather(*(probe(a) for a in self.adapters))
        return {status.provider: status for status in statuses}
