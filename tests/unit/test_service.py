"""RecordService over in-memory accounts: page sizes, both directions and orders, ties
across accounts, a failing account, pageInfo, cursors and account selection.

The accounts are plain Python fakes of the `ProviderAdapter` protocol that hold their
records in memory and answer a `StreamQuery` the way the contract asks (order, window,
filter, position, limit), so these tests run in milliseconds and say what a client sees.
"""

from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from gateway.errors import BadCursor, BadUserInput, ProviderUnavailable
from gateway.paging.cursor import CursorCodec
from gateway.paging.position import is_after
from gateway.providers.base import Stream, StreamEntry, StreamQuery
from gateway.records import (
    Direction,
    MessageType,
    Order,
    ProviderCapability,
    ProviderKind,
    RecordFilter,
    SmsRecord,
    SmsStatus,
)
from gateway.service import PageRequest, PagingRules, RecordPage, RecordService

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SECRET = "unit-test-cursor-secret"
RULES = PagingRules(default_page_size=5, max_page_size=20, default_window_days=30)


def sms(account: str, record_id: str, minutes_ago: float, **fields) -> SmsRecord:
    values = {
        "provider": account,
        "kind": ProviderKind.CARRIERX,
        "provider_record_id": record_id,
        "node_key": record_id,
        "direction": Direction.OUTBOUND,
        "status": SmsStatus.DELIVERED,
        "raw_status": "delivered",
        "type": MessageType.SMS,
        "from_number": "+15550000001",
        "to_number": "+15550000002",
        "created_at": NOW - timedelta(minutes=minutes_ago),
        "raw": {},
    }
    values.update(fields)
    return SmsRecord(**values)


class MemoryAccount:
    """One account whose records live in a list, in the account's own ascending order."""

    def __init__(self, name: str, records: list[SmsRecord]) -> None:
        self._name = name
        self.records = sorted(records, key=lambda record: record.created_at)
        self.queries: list[StreamQuery] = []
        self.failure: Exception | None = None

    @property
    def name(self) -> str:
        return self._name

    @property
    def kind(self) -> ProviderKind:
        return ProviderKind.CARRIERX

    @property
    def capabilities(self) -> frozenset[ProviderCapability]:
        return frozenset({ProviderCapability.LIST_RECORDS})

    async def stream(self, query: StreamQuery) -> Stream:
        self.queries.append(query)
        if self.failure is not None:
            raise self.failure
        ordered = self.records if query.order is Order.ASC else self.records[::-1]
        rest = ordered[self._start(ordered, query) :]
        found = [
            record
            for record in rest
            if query.window.contains(record.created_at) and query.filter.matches(record)
        ][: query.limit]
        entries = [
            StreamEntry(r, {"o": query.order.value, "s": r.provider_record_id}) for r in found
        ]
        return Stream(entries, lead={"o": query.order.value, "lead": len(self.queries)})

    def _start(self, ordered: list[SmsRecord], query: StreamQuery) -> int:
        boundary = query.after
        if boundary is None:
            return 0
        if boundary.provider == self.name:
            keys = [record.provider_record_id for record in ordered]
            return keys.index(boundary.record_id) + 1
        return next(
            (i for i, r in enumerate(ordered) if is_after(r, boundary, query.order)), len(ordered)
        )

    async def get_many(self, node_keys: list[str]) -> list[SmsRecord | None]:
        by_key = {record.node_key: record for record in self.records}
        return [by_key.get(key) for key in node_keys]

    async def update_user_data(self, node_key: str, user_data: str | None) -> SmsRecord | None:
        return None

    async def check(self) -> None:
        return None


def dataset() -> dict[str, list[SmsRecord]]:
    """Three accounts with runs of records at the same instant, within and across accounts,
    and one record of each account older than the default window."""
    records: dict[str, list[SmsRecord]] = {"alpha": [], "beta": [], "gamma": []}
    for account, step in (("alpha", 1), ("beta", 2), ("gamma", 3)):
        for n in range(0, 60, step):
            records[account].append(sms(account, f"{account}-{n}", minutes_ago=1 + n // 4))
        records[account].append(sms(account, f"{account}-old", minutes_ago=60 * 24 * 40))
    return records


def total_order(accounts: list[MemoryAccount], order: Order) -> list[str]:
    """What a client expects: by time, ties by account name, then the account's own order."""
    ascending = [
        record.provider_record_id
        for _, _, _, record in sorted(
            (record.created_at, account.name, index, record)
            for account in accounts
            for index, record in enumerate(account.records)
            if record.created_at >= NOW - timedelta(days=RULES.default_window_days)
        )
    ]
    return ascending if order is Order.ASC else ascending[::-1]


@pytest.fixture
def accounts() -> list[MemoryAccount]:
    return [MemoryAccount(name, records) for name, records in dataset().items()]


@pytest.fixture
def service(accounts) -> RecordService:
    return RecordService(accounts, CursorCodec(SECRET), RULES, clock=lambda: NOW)


def ids(page: RecordPage) -> list[str]:
    return [edge.record.provider_record_id for edge in page.edges]


async def walk(
    service: RecordService, forward: bool, size: int, cursor: str | None = None, **arguments
) -> tuple[list[str], list[RecordPage]]:
    """Every page of a walk from `cursor` (from the start when None), the records in the
    query's order."""
    pages: list[RecordPage] = []
    seen: list[str] = []
    while True:
        if forward:
            page = await service.page(PageRequest(first=size, after=cursor, **arguments))
            seen += ids(page)
        else:
            page = await service.page(PageRequest(last=size, before=cursor, **arguments))
            seen = ids(page) + seen
        pages.append(page)
        if not (page.has_next_page if forward else page.has_previous_page):
            return seen, pages
        cursor = page.end_cursor if forward else page.start_cursor


@pytest.mark.parametrize("order", list(Order))
@pytest.mark.parametrize("forward", [True, False], ids=["first-after", "last-before"])
@pytest.mark.parametrize("size", [1, 4, 20])
async def test_a_walk_yields_every_record_once_in_the_total_order(
    service, accounts, order, forward, size
):
    seen, pages = await walk(service, forward, size, order=order)
    assert seen == total_order(accounts, order)
    assert all(len(page.edges) == size for page in pages[:-1])
    assert all(status.ok for page in pages for status in page.provider_status)


@pytest.mark.parametrize("order", list(Order))
async def test_page_info_going_forward(service, order):
    _, pages = await walk(service, True, 20, order=order)
    assert [page.has_previous_page for page in pages] == [False] + [True] * (len(pages) - 1)
    assert [page.has_next_page for page in pages] == [True] * (len(pages) - 1) + [False]
    for page in pages:
        assert page.start_cursor == page.edges[0].cursor
        assert page.end_cursor == page.edges[-1].cursor


@pytest.mark.parametrize("order", list(Order))
async def test_page_info_going_backward(service, order):
    _, pages = await walk(service, False, 20, order=order)
    assert [page.has_next_page for page in pages] == [False] + [True] * (len(pages) - 1)
    assert [page.has_previous_page for page in pages] == [True] * (len(pages) - 1) + [False]


async def test_the_last_page_of_newest_first_holds_the_oldest_records(service, accounts):
    page = await service.page(PageRequest(last=3, order=Order.DESC))
    assert ids(page) == total_order(accounts, Order.DESC)[-3:]


async def test_the_default_page_is_the_newest_records(service, accounts):
    page = await service.page(PageRequest())
    assert ids(page) == total_order(accounts, Order.DESC)[: RULES.default_page_size]
    assert page.has_next_page and not page.has_previous_page


async def test_the_largest_page(service, accounts):
    page = await service.page(PageRequest(first=RULES.max_page_size, order=Order.ASC))
    assert ids(page) == total_order(accounts, Order.ASC)[: RULES.max_page_size]


@pytest.mark.parametrize("arguments", [{"first": 0}, {"last": 0}])
async def test_an_empty_page_tells_whether_records_exist(service, arguments):
    page = await service.page(PageRequest(order=Order.ASC, **arguments))
    assert page.edges == []
    assert page.start_cursor is None and page.end_cursor is None
    assert (page.has_next_page if "first" in arguments else page.has_previous_page) is True


async def test_an_empty_page_after_a_cursor_keeps_that_cursor(service):
    first = await service.page(PageRequest(first=2, order=Order.ASC))
    page = await service.page(PageRequest(first=0, after=first.end_cursor, order=Order.ASC))
    assert page.edges == []
    assert page.start_cursor == page.end_cursor == first.end_cursor
    assert page.has_previous_page and page.has_next_page


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"first": 21}, "`first` must be between 0 and 20, got 21."),
        ({"first": -1}, "`first` must be between 0 and 20, got -1."),
        ({"last": 21}, "`last` must be between 0 and 20, got 21."),
        ({"first": 1, "last": 1}, "Give either `first` or `last`, not both."),
        ({"first": 1, "before": "x"}, "`first` pages forward: use it with `after`, not `before`."),
        ({"last": 1, "after": "x"}, "`last` pages backward: use it with `before`, not `after`."),
        ({"after": "x", "before": "y"}, "Give either `after` or `before`, not both."),
    ],
)
async def test_page_arguments_out_of_bounds_or_in_conflict(service, accounts, arguments, message):
    with pytest.raises(BadUserInput) as raised:
        await service.page(PageRequest(**arguments))
    assert raised.value.message == message
    assert all(account.queries == [] for account in accounts)


async def test_ties_across_accounts_break_by_account_name():
    moment = 5
    accounts = [
        MemoryAccount("gamma", [sms("gamma", "g", moment)]),
        MemoryAccount("alpha", [sms("alpha", "a1", moment), sms("alpha", "a2", moment)]),
        MemoryAccount("beta", [sms("beta", "b", moment)]),
    ]
    service = RecordService(accounts, CursorCodec(SECRET), RULES, clock=lambda: NOW)
    ascending, pages = await walk(service, True, 2, order=Order.ASC)
    assert ascending == ["a1", "a2", "b", "g"]
    assert [ids(page) for page in pages] == [["a1", "a2"], ["b", "g"]]
    descending, _ = await walk(service, True, 1, order=Order.DESC)
    assert descending == ["g", "b", "a2", "a1"]
    backward, _ = await walk(service, False, 3, order=Order.ASC)
    assert backward == ascending


@pytest.mark.parametrize("order", list(Order))
@pytest.mark.parametrize("forward", [True, False], ids=["first-after", "last-before"])
async def test_a_failing_account_costs_no_record(service, accounts, order, forward):
    beta = accounts[1]
    pages: list[RecordPage] = []
    seen: list[str] = []
    cursor = None
    more = True
    while more:
        beta.failure = (
            ProviderUnavailable("beta", "beta is unavailable") if len(pages) in (2, 3) else None
        )
        if forward:
            page = await service.page(PageRequest(first=7, after=cursor, order=order))
        else:
            page = await service.page(PageRequest(last=7, before=cursor, order=order))
        pages.append(page)
        seen += ids(page)
        more = page.has_next_page if forward else page.has_previous_page
        cursor = page.end_cursor if forward else page.start_cursor

    everything = total_order(accounts, order)
    assert Counter(seen) == Counter(everything)
    for page in pages[2:4]:
        assert not any(record_id.startswith("beta") for record_id in ids(page))
        assert [(s.provider, s.ok, s.code) for s in page.provider_status] == [
            ("alpha", True, None),
            ("beta", False, "PROVIDER_UNAVAILABLE"),
            ("gamma", True, None),
        ]
        assert [failure.provider for failure in page.failures] == ["beta"]
        assert page.provider_status[1].message == "beta is unavailable"
    for page in pages:
        assert ids(page) == sorted(ids(page), key=everything.index)


async def test_a_walk_goes_on_past_the_others_end_while_an_account_fails(service, accounts):
    gamma = accounts[2]
    gamma.failure = ProviderUnavailable("gamma", "gamma is unavailable")
    seen: list[str] = []
    page = await service.page(PageRequest(first=20, order=Order.ASC))
    while page.edges:
        assert page.has_next_page
        seen += ids(page)
        page = await service.page(PageRequest(first=20, after=page.end_cursor, order=Order.ASC))
    assert page.has_next_page, "gamma's records may still follow"
    gamma.failure = None
    rest, _ = await walk(service, True, 20, page.end_cursor, order=Order.ASC)
    assert seen == total_order(accounts[:2], Order.ASC)
    assert rest == total_order([gamma], Order.ASC)


async def test_an_account_that_breaks_unexpectedly_is_a_provider_error(service, accounts):
    accounts[0].failure = KeyError("boom")
    page = await service.page(PageRequest(first=5, order=Order.ASC))
    assert page.provider_status[0].code == "PROVIDER_ERROR"
    assert page.provider_status[0].message == "carrierx account 'alpha' failed unexpectedly."
    assert not any(record_id.startswith("alpha") for record_id in ids(page))
    assert len(page.edges) == 5


async def test_each_page_asks_each_account_once_for_one_more_record(service, accounts):
    _, pages = await walk(service, True, 6, order=Order.DESC)
    for account in accounts:
        assert len(account.queries) == len(pages)
        assert {query.limit for query in account.queries} == {7}


async def test_each_account_resumes_from_the_hint_it_left_on_the_page(service, accounts):
    """The hint of an account's last record on the page, else the lead of its stream."""
    alpha, beta, gamma = accounts
    page = await service.page(PageRequest(first=6, order=Order.ASC))
    assert ids(page) == ["alpha-56", "alpha-57", "alpha-58", "alpha-59", "beta-56", "beta-58"]
    await service.page(PageRequest(first=6, after=page.end_cursor, order=Order.ASC))
    assert alpha.queries[-1].resume == {"o": "asc", "s": "alpha-59"}
    assert beta.queries[-1].resume == {"o": "asc", "s": "beta-58"}
    assert gamma.queries[-1].resume == {"o": "asc", "lead": 1}


async def test_turning_back_drops_the_hints_of_the_other_direction(service, accounts):
    page = await service.page(PageRequest(first=4, order=Order.ASC))
    await service.page(PageRequest(last=4, before=page.end_cursor, order=Order.ASC))
    assert all(account.queries[-1].resume is None for account in accounts)
    assert all(account.queries[-1].order is Order.DESC for account in accounts)


async def test_cursors_carry_the_window_of_the_first_page(accounts):
    clock = [NOW]
    service = RecordService(accounts, CursorCodec(SECRET), RULES, clock=lambda: clock[0])
    page = await service.page(PageRequest(first=4, order=Order.DESC))
    clock[0] = NOW + timedelta(days=365)
    later = await service.page(PageRequest(first=4, after=page.end_cursor, order=Order.DESC))
    assert ids(page) + ids(later) == total_order(accounts, Order.DESC)[:8]


@pytest.mark.parametrize(
    ("cursor", "message"),
    [
        ("not-a-cursor", "The cursor is malformed."),
        ("", "The cursor is malformed."),
    ],
)
async def test_garbage_cursors(service, cursor, message):
    with pytest.raises(BadCursor) as raised:
        await service.page(PageRequest(first=2, after=cursor))
    assert raised.value.message == message


async def test_a_cursor_of_another_gateway_secret(accounts, service):
    other = RecordService(accounts, CursorCodec("another-secret-entirely"), RULES, lambda: NOW)
    foreign = (await other.page(PageRequest(first=2))).end_cursor
    with pytest.raises(BadCursor) as raised:
        await service.page(PageRequest(first=2, after=foreign))
    assert raised.value.message == (
        "The cursor's signature does not match: it was altered or forged; start the walk again."
    )


async def test_a_cursor_of_another_order_or_filter(service):
    cursor = (await service.page(PageRequest(first=2, order=Order.ASC))).end_cursor
    with pytest.raises(BadCursor) as raised:
        await service.page(PageRequest(first=2, after=cursor, order=Order.DESC))
    assert raised.value.message == "The cursor was made for another `orderBy`."
    narrowed = RecordFilter(direction=Direction.INBOUND)
    with pytest.raises(BadCursor) as raised:
        await service.page(PageRequest(first=2, after=cursor, order=Order.ASC, filter=narrowed))
    assert raised.value.message == "The cursor was made for another `filter`."


async def test_filter_providers_selects_accounts(service, accounts):
    chosen = RecordFilter(providers=frozenset({"gamma", "alpha"}))
    seen, pages = await walk(service, True, 9, order=Order.ASC, filter=chosen)
    assert seen == total_order([accounts[0], accounts[2]], Order.ASC)
    assert accounts[1].queries == []
    assert {s.provider for page in pages for s in page.provider_status} == {"alpha", "gamma"}


async def test_an_unknown_provider_is_refused_before_any_call(service, accounts):
    unknown = RecordFilter(providers=frozenset({"alpha", "nope"}))
    with pytest.raises(BadUserInput) as raised:
        await service.page(PageRequest(filter=unknown))
    assert raised.value.message == "Unknown provider 'nope'; configured: alpha, beta, gamma."
    assert all(account.queries == [] for account in accounts)


async def test_a_bad_cursor_is_reported_before_an_unknown_provider(service):
    unknown = RecordFilter(providers=frozenset({"nope"}))
    with pytest.raises(BadCursor):
        await service.page(PageRequest(first=2, after="garbage", filter=unknown))


async def test_a_filter_narrows_every_account(accounts):
    for account in accounts:
        account.records = [
            replace(record, direction=Direction.INBOUND if i % 3 == 0 else Direction.OUTBOUND)
            for i, record in enumerate(account.records)
        ]
    service = RecordService(accounts, CursorCodec(SECRET), RULES, clock=lambda: NOW)
    inbound = RecordFilter(direction=Direction.INBOUND)
    seen, _ = await walk(service, False, 4, order=Order.DESC, filter=inbound)
    wanted = {r.provider_record_id for a in accounts for r in a.records if inbound.matches(r)}
    assert seen == [
        record_id for record_id in total_order(accounts, Order.DESC) if record_id in wanted
    ]


async def test_the_window_follows_the_filter_bounds(service, accounts):
    since = NOW - timedelta(minutes=3)
    until = NOW - timedelta(minutes=1)
    bounded = RecordFilter(created_after=since, created_before=until)
    seen, _ = await walk(service, True, 5, order=Order.ASC, filter=bounded)
    inside = {
        r.provider_record_id for a in accounts for r in a.records if since <= r.created_at < until
    }
    assert seen == [
        record_id for record_id in total_order(accounts, Order.ASC) if record_id in inside
    ]
    assert all(q.window.start == since and q.window.end == until for q in accounts[0].queries)


async def test_an_inverted_time_filter_is_refused(service):
    inverted = RecordFilter(created_after=NOW, created_before=NOW - timedelta(days=1))
    with pytest.raises(BadUserInput) as raised:
        await service.page(PageRequest(filter=inverted))
    assert raised.value.message == (
        "filter.createdAfter must not be later than filter.createdBefore."
    )
