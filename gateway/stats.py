"""StatsService: totals over every selected account, each account's window read once.

Totals cover what a walk with the same filter would list: the same window, accounts and
pushdown. Each account is scanned in parallel in its API's largest pages and added up page by
page (`gateway.totals`), so memory is bounded by the buckets, never by the records. An account
may make at most `max_calls` upstream calls; past that its totals stop where they are. An
account that fails, or is not read whole by the request's deadline, adds nothing, so the
totals hold the other accounts exactly. Either way the totals are not `complete` and the
account's status says why. Knows neither GraphQL nor HTTP.
"""

from __future__ import annotations

import asyncio
from contextlib import aclosing
from dataclasses import dataclass, field

from gateway.errors import CallLimitReached, GatewayError, ProviderFailure
from gateway.providers.base import ProviderAdapter
from gateway.records import RecordFilter, TimeWindow
from gateway.service import ProviderStatus, RecordService
from gateway.service.deadline import Deadline
from gateway.service.fanout import unexpected_failure
from gateway.totals import Bucket, Grouping, StatsKey, Tally, zone_named


@dataclass(frozen=True, slots=True)
class StatsRequest:
    """The totals arguments, as the client sent them."""

    filter: RecordFilter = field(default_factory=RecordFilter)
    group_by: tuple[StatsKey, ...] = ()
    time_zone: str = "UTC"


@dataclass(frozen=True, slots=True)
class RecordStats:
    """Totals and buckets, whether every account was read whole, and what went wrong."""

    total: Bucket
    buckets: list[Bucket]
    complete: bool
    provider_status: list[ProviderStatus]
    failures: list[GatewayError]  # one per account whose totals are missing or cut short


@dataclass(frozen=True, slots=True)
class _Outcome:
    """One account's part: its tally (None when it failed), and the reason it is not whole."""

    tally: Tally | None
    problem: GatewayError | None = None


class StatsService:
    """Totals over the accounts of a `RecordService`."""

    def __init__(self, records: RecordService, *, max_calls: int) -> None:
        self._records = records
        self._max_calls = max_calls

    def over(self, records: RecordService) -> StatsService:
        """The same limits over another view of the records, such as one caller's."""
        return StatsService(records, max_calls=self._max_calls)

    async def stats(self, request: StatsRequest) -> RecordStats:
        """Raises `BadUserInput` for a bad time zone, key list or filter, before any call."""
        grouping = Grouping(request.group_by, zone_named(request.time_zone))
        window, adapters = self._records.reach(request.filter)
        deadline = self._records.deadline()
        outcomes = await asyncio.gather(
            *(
                self._account(adapter, window, request.filter, grouping, deadline)
                for adapter in adapters
            )
        )
        tally = Tally(grouping)
        statuses: list[ProviderStatus] = []
        problems: list[GatewayError] = []
        for adapter, outcome in zip(adapters, outcomes, strict=True):
            if outcome.tally is not None:
                tally.absorb(outcome.tally)
            problem = outcome.problem
            if problem is None:
                statuses.append(ProviderStatus(adapter.name, True))
            else:
                statuses.append(ProviderStatus(adapter.name, False, problem.code, problem.message))
                problems.append(problem)
        return RecordStats(tally.total, tally.buckets(), not problems, statuses, problems)

    async def _account(
        self,
        adapter: ProviderAdapter,
        window: TimeWindow,
        record_filter: RecordFilter,
        grouping: Grouping,
        deadline: Deadline,
    ) -> _Outcome:
        """One account's totals, whole by the request's deadline or not at all."""
        try:
            return await deadline.within(
                adapter, self._scan(adapter, window, record_filter, grouping)
            )
        except ProviderFailure as failure:
            return _Outcome(None, failure)
        except Exception:
            return _Outcome(None, unexpected_failure(adapter))

    async def _scan(
        self,
        adapter: ProviderAdapter,
        window: TimeWindow,
        record_filter: RecordFilter,
        grouping: Grouping,
    ) -> _Outcome:
        tally = Tally(grouping)
        calls = 0
        scan = adapter.scan(window, record_filter, grouping.fields)
        async with aclosing(scan) as pages:
            async for page in pages:
                calls += 1
                tally.add(page.records)
                if page.more and calls >= self._max_calls:
                    return _Outcome(tally, self._cut_short(adapter.name, tally))
        return _Outcome(tally)

    def _cut_short(self, account: str, tally: Tally) -> CallLimitReached:
        return CallLimitReached(
            account,
            f"Totals of {account!r} stop after {self._max_calls} upstream calls "
            f"([limits] max_stats_calls) and hold its {tally.total.count} oldest matching "
            "records; a shorter time range gets them whole.",
        )
