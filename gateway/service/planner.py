"""Planning a page: everything it depends on, decided before any account is asked.

A page in either direction is a forward walk in the *travel order* (the query's order for
`first/after`, its reverse for `last/before`): every selected account is asked for `n + 1`
records after its own position, so that the merged `n + 1`-th tells whether more follow.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from gateway.errors import BadCursor, BadUserInput
from gateway.paging.cursor import Cursor, CursorCodec, CursorError, filter_hash
from gateway.providers.base import ProviderAdapter, StreamQuery
from gateway.records import Order, RecordFilter, TimeWindow
from gateway.service.page import PageRequest, PagingRules

AccountSelection = Callable[[RecordFilter], Sequence[ProviderAdapter]]
"""Which accounts a page reads, for its filter."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

_EXCLUSIVE_ARGUMENTS = (
    ("first", "last", "Give either `first` or `last`, not both."),
    ("first", "before", "`first` pages forward: use it with `after`, not `before`."),
    ("last", "after", "`last` pages backward: use it with `before`, not `after`."),
    ("after", "before", "Give either `after` or `before`, not both."),
)


@dataclass(frozen=True, slots=True)
class AccountAsk:
    """What one selected account is asked for: its query holds the position the account
    resumes from (`after`) and the hint it left in the cursor (`resume`)."""

    adapter: ProviderAdapter
    query: StreamQuery

    @property
    def name(self) -> str:
        return self.adapter.name


@dataclass(frozen=True, slots=True)
class PagePlan:
    """One page, decided: how many records, which way, within what, from where, and what
    each selected account is asked for."""

    order: Order  # the query's order, which binds every cursor of the walk
    travel: Order  # the order the accounts are read in
    size: int
    cursor: str | None  # the cursor the page continues from, as the client sent it
    filter_hash: str
    window: TimeWindow
    asks: tuple[AccountAsk, ...]

    @property
    def forward(self) -> bool:
        """`first/after` pages travel in the query's order, `last/before` against it."""
        return self.travel is self.order


class PagePlanner:
    """Checks a page's arguments and cursor, and turns them into a `PagePlan`."""

    def __init__(
        self,
        codec: CursorCodec,
        rules: PagingRules,
        clock: Callable[[], datetime],
        caller: str | None = None,
    ) -> None:
        self._codec = codec
        self._rules = rules
        self._clock = clock
        self._caller = caller  # whose cursors these are; None on an open gateway

    def plan(self, request: PageRequest, select: AccountSelection) -> PagePlan:
        """Raises `BadUserInput` or `BadCursor`. Accounts are selected last, once the
        arguments, the cursor and the window have passed their checks."""
        size, forward = self._page_size(request)
        fhash = filter_hash(request.filter, self._caller)
        given = request.after if forward else request.before
        cursor = self._continued(given, request.order, fhash)
        window = cursor.window if cursor else self.window_for(request.filter)
        travel = request.order if forward else request.order.reverse
        carried = cursor.hints_for(travel) if cursor else {}
        asks = tuple(
            AccountAsk(
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
            for adapter in select(request.filter)
        )
        return PagePlan(request.order, travel, size, given, fhash, window, asks)

    def _page_size(self, request: PageRequest) -> tuple[int, bool]:
        """Checks the Relay arguments; returns (page size, travelling forward)."""
        _check_exclusive(request)
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

    def _continued(self, text: str | None, order: Order, fhash: str) -> Cursor | None:
        """The cursor a page continues from, if any, checked against the query."""
        if text is None:
            return None
        try:
            cursor = self._codec.decode(text)
        except CursorError as error:
            raise BadCursor(str(error)) from None
        if cursor.order is not order:
            raise BadCursor("The cursor was made for another `orderBy`.")
        if cursor.filter_hash != fhash:
            if self._caller is None:
                raise BadCursor("The cursor was made for another `filter`.")
            raise BadCursor("The cursor was made for another `filter` or another client.")
        return cursor

    def window_for(self, record_filter: RecordFilter) -> TimeWindow:
        """The walk's fixed time range, set by its first page and carried by its cursors:
        from `createdAfter`, else `default_window_days` before its end; to `createdBefore`,
        else now rounded up to the next multiple of `window_end_step_seconds`. Rounded, the
        end (and so every upstream request of a first page) stays the same for a whole step,
        so that identical first pages are served from the page cache; records created up to
        it are still included."""
        start, end = record_filter.created_after, record_filter.created_before
        if start is not None and end is not None and start > end:
            raise BadUserInput("filter.createdAfter must not be later than filter.createdBefore.")
        end = end or round_up(self._clock(), self._rules.window_end_step_seconds)
        start = start or end - timedelta(days=self._rules.default_window_days)
        return TimeWindow(start, max(start, end))


def round_up(moment: datetime, step_seconds: float) -> datetime:
    """The first multiple of `step_seconds` since the epoch at or after `moment` (whole
    microseconds); `moment` itself for a step of 0. Every replica rounds alike."""
    step = round(step_seconds * 1_000_000)
    if step <= 0:
        return moment
    since_epoch = (moment - _EPOCH) // timedelta(microseconds=1)
    return _EPOCH + timedelta(microseconds=-(-since_epoch // step) * step)


def _check_exclusive(request: PageRequest) -> None:
    """A page goes one way from one place: Relay's argument pairs that exclude each other."""
    for one, other, problem in _EXCLUSIVE_ARGUMENTS:
        if getattr(request, one) is not None and getattr(request, other) is not None:
            raise BadUserInput(problem)
