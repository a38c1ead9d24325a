"""The DIDforSale adapter against the simulator, over loopback HTTP."""

from datetime import UTC, datetime, timedelta

import pytest

from gateway.errors import (
    MalformedRecordId,
    ProviderError,
    ProviderUnavailable,
    UnsupportedByProvider,
)
from gateway.providers.base import Boundary, is_after
from gateway.providers.didforsale import DidForSaleAdapter
from gateway.providers.http import make_session
from gateway.records import (
    Direction,
    MessageType,
    Order,
    ProviderCapability,
    RecordFilter,
    SmsStatus,
    TimeWindow,
)
from gateway.simulators.dataset import generate_didforsale_rows
from tests.support.serving import unused_port

from .simulated import (
    NOW,
    dfs_listing,
    dfs_settings,
    didforsale,
    first_tie,
    odd_dfs_row,
    query,
    recording_session,
    ties_split,
    walk,
)

ROWS = generate_didforsale_rows(2400, seed=3, timezone="America/Chicago", now=NOW)
ROWS.append(odd_dfs_row(ROWS, 1200))
DENSE_NOW = datetime(2024, 6, 1, tzinfo=UTC)
DENSE_ROWS = generate_didforsale_rows(1500, seed=5, timezone="UTC", now=DENSE_NOW, days=1)
DENSE_WINDOW = TimeWindow(DENSE_NOW - timedelta(days=1), DENSE_NOW)


@pytest.fixture(scope="module")
async def chicago(session):
    async with didforsale(ROWS, session) as simulated:
        yield simulated


@pytest.fixture(scope="module")
async def dense(session):
    async with didforsale(DENSE_ROWS, session, timezone="UTC") as simulated:
        yield simulated


@pytest.fixture(scope="module")
async def everything(chicago):
    return (await chicago.adapter.stream(query(Order.ASC))).records


async def test_the_whole_stream_ascending_is_the_listing(chicago, everything):
    assert [record.provider_record_id for record in everything] == dfs_listing(chicago.app)
    instants = [record.created_at for record in everything]
    assert instants == sorted(instants)
    assert any(r.raw["date"].startswith("2024-11-03 01:") for r in everything), (
        "the dataset should hold records in the repeated hour"
    )


async def test_the_whole_stream_descending_is_its_reverse(chicago, everything):
    descending = (await chicago.adapter.stream(query(Order.DESC))).records
    assert descending == everything[::-1]


async def test_a_spring_forward_zone():
    now = datetime(2024, 3, 25, tzinfo=UTC)
    rows = generate_didforsale_rows(900, seed=9, timezone="America/Chicago", now=now)
    async with make_session() as session, didforsale(rows, session) as simulated:
        window = TimeWindow(now - timedelta(days=31), now)
        ascending = (await simulated.adapter.stream(query(Order.ASC, window=window))).records
        assert [record.provider_record_id for record in ascending] == dfs_listing(simulated.app)
        descending = (await simulated.adapter.stream(query(Order.DESC, window=window))).records
        assert descending == ascending[::-1]


@pytest.mark.parametrize("order", list(Order))
@pytest.mark.parametrize("page", [7, 50, 499, 501])
async def test_resuming_from_each_page_yields_every_record_once(dense, order, page):
    everything = (await dense.adapter.stream(query(order, window=DENSE_WINDOW))).records
    assert len(everything) == len(DENSE_ROWS)
    pages = await walk(dense.adapter, order, page, window=DENSE_WINDOW)
    assert [record for chunk in pages for record in chunk] == everything
    if page == 7:
        assert ties_split(pages) > 0, "some page should end inside a same-second group"


@pytest.mark.parametrize("order", list(Order))
async def test_resuming_one_record_at_a_time_through_same_second_ties(dense, order):
    ascending = (await dense.adapter.stream(query(Order.ASC, window=DENSE_WINDOW))).records
    tie = next(
        i
        for i in range(len(ascending) - 2)
        if ascending[i].created_at == ascending[i + 1].created_at == ascending[i + 2].created_at
    )
    moment = ascending[tie].created_at
    window = TimeWindow(moment - timedelta(minutes=20), moment + timedelta(minutes=20))
    expected = (await dense.adapter.stream(query(order, window=window))).records
    pages = await walk(dense.adapter, order, 1, window=window)
    assert [record for chunk in pages for record in chunk] == expected
    assert ties_split(pages) >= 2


@pytest.mark.parametrize("order", list(Order))
@pytest.mark.parametrize("other", ["aaa", "zzz"])
@pytest.mark.parametrize("shift", [timedelta(0), timedelta(milliseconds=500)])
async def test_a_boundary_of_another_account(dense, order, other, shift):
    everything = (await dense.adapter.stream(query(order, window=DENSE_WINDOW))).records
    tied = first_tie(everything)
    boundary = Boundary(tied.created_at + shift, other, "x")
    expected = [record for record in everything if is_after(record, boundary, order)][:40]
    got = (
        await dense.adapter.stream(query(order, 40, after=boundary, window=DENSE_WINDOW))
    ).records
    assert got == expected


async def test_a_boundary_whose_record_is_gone_resumes_by_time(dense):
    everything = (await dense.adapter.stream(query(Order.ASC, window=DENSE_WINDOW))).records
    tied = first_tie(everything)
    gone = Boundary(tied.created_at, "dfs", "1")
    for order in Order:
        got = (
            await dense.adapter.stream(query(order, 30, after=gone, window=DENSE_WINDOW))
        ).records
        ordered = everything if order is Order.ASC else everything[::-1]
        later = [
            r
            for r in ordered
            if (r.created_at > tied.created_at) == (order is Order.ASC)
            and r.created_at != tied.created_at
        ]
        assert got == later[:30]


FILTERS = [
    RecordFilter(direction=Direction.INBOUND),
    RecordFilter(direction=Direction.UNDIRECTED),
    RecordFilter(statuses=frozenset({SmsStatus.DELIVERED, SmsStatus.UNKNOWN})),
    RecordFilter(statuses=frozenset({SmsStatus.QUEUED})),
    RecordFilter(type=MessageType.SMS),
    RecordFilter(
        created_after=NOW - timedelta(days=17, hours=3),
        created_before=NOW - timedelta(days=16, hours=21, minutes=7),
    ),
    RecordFilter(
        created_after=datetime(2024, 11, 3, 6, 30, tzinfo=UTC),
        created_before=datetime(2024, 11, 3, 7, 15, tzinfo=UTC),
    ),
]


@pytest.mark.parametrize("narrowing", FILTERS)
@pytest.mark.parametrize("order", list(Order))
async def test_filters_equal_filtering_the_whole_stream(chicago, everything, narrowing, order):
    ordered = everything if order is Order.ASC else everything[::-1]
    expected = [record for record in ordered if narrowing.matches(record)]
    assert expected, "each filter should match something"
    assert (await chicago.adapter.stream(query(order, narrowing=narrowing))).records == expected
    pages = await walk(chicago.adapter, order, 13, narrowing=narrowing)
    assert [record for chunk in pages for record in chunk] == expected


@pytest.mark.parametrize("order", list(Order))
async def test_a_number_filter(chicago, everything, order):
    number = everything[100].to_number
    narrowing = RecordFilter(number=number)
    ordered = everything if order is Order.ASC else everything[::-1]
    expected = [r for r in ordered if number in (r.from_number, r.to_number)]
    assert (
        await chicago.adapter.stream(query(order, 25, narrowing=narrowing))
    ).records == expected[:25]


async def test_filters_that_exclude_the_account_make_no_call():
    recording, urls = recording_session()
    async with recording:
        adapter = DidForSaleAdapter(dfs_settings("http://127.0.0.1:9"), recording)
        for narrowing in (
            RecordFilter(providers=frozenset({"other"})),
            RecordFilter(statuses=frozenset()),
            RecordFilter(type=MessageType.MMS),
            RecordFilter(created_after=NOW, created_before=NOW - timedelta(days=1)),
        ):
            assert (await adapter.stream(query(Order.ASC, narrowing=narrowing))).records == []
        assert (await adapter.stream(query(Order.DESC, 0))).records == []
    assert urls == []


async def test_a_short_ascending_page_takes_one_call(chicago):
    recording, urls = recording_session()
    async with recording:
        adapter = DidForSaleAdapter(chicago.adapter._settings, recording)
        got = (await adapter.stream(query(Order.ASC, 21))).records
    assert len(got) == 21
    assert len(urls) == 1


async def test_get_many(chicago, everything):
    wanted = [everything[0], everything[1200], everything[-1]]
    keys = [record.node_key for record in wanted]
    fold_record = next(r for r in everything if r.raw["date"].startswith("2024-11-03 01:"))
    missing_uuid = "1:" + fold_record.raw["date"]
    empty_second = "1462000074016:2024-11-10 03:33:33"
    got = await chicago.adapter.get_many(
        [*keys, fold_record.node_key, missing_uuid, empty_second, keys[0]]
    )
    assert got == [*wanted, fold_record, None, None, wanted[0]]
    assert await chicago.adapter.get_many([]) == []


async def test_get_many_rejects_malformed_keys_before_calling(chicago):
    with pytest.raises(MalformedRecordId):
        await chicago.adapter.get_many(["1462000074016:2024-11-10 03:33:33", "nonsense"])


async def test_user_data_cannot_be_stored(chicago, everything):
    with pytest.raises(UnsupportedByProvider):
        await chicago.adapter.update_user_data(everything[0].node_key, "note")


async def test_capabilities_and_check(chicago):
    assert chicago.adapter.capabilities == {ProviderCapability.LIST_RECORDS}
    assert chicago.adapter.kind.value == "didforsale"
    await chicago.adapter.check()


async def test_bad_credentials(chicago, session):
    adapter = DidForSaleAdapter(dfs_settings(chicago.base_url, token="wrong-secret"), session)
    with pytest.raises(ProviderError) as raised:
        await adapter.stream(query(Order.ASC, 5))
    assert type(raised.value) is ProviderError
    assert raised.value.message == "didforsale account 'dfs' rejected the credentials"


async def test_configurable_field_names_reach_the_wire(chicago, session):
    adapter = DidForSaleAdapter(
        dfs_settings(chicago.base_url, start_date_field="from", end_date_field="to"),
        session,
    )
    with pytest.raises(ProviderError, match="reported failure code 113"):
        await adapter.check()


async def test_a_closed_port(session):
    base = f"http://127.0.0.1:{unused_port()}/didforsaleapi/index.php/api/V4"
    adapter = DidForSaleAdapter(dfs_settings(base), session)
    with pytest.raises(ProviderUnavailable) as raised:
        await adapter.check()
    assert raised.value.message == "didforsale account 'dfs' could not be reached"


async def test_a_fault_is_retried_then_reported(session):
    async with didforsale(ROWS[:100], session) as simulated:
        simulated.inject(status=503)
        assert len((await simulated.adapter.stream(query(Order.ASC, 3))).records) == 3
        simulated.inject(times=3, status=502)
        with pytest.raises(ProviderUnavailable, match=r"unavailable \(HTTP 502\)"):
            await simulated.adapter.stream(query(Order.ASC, 3))
        simulated.inject(status=429, retry_after=0.05)
        assert len((await simulated.adapter.stream(query(Order.DESC, 3))).records) == 3


async def test_messages_hold_no_url_or_secret(session):
    base = f"http://127.0.0.1:{unused_port()}/didforsaleapi/index.php/api/V4"
    adapter = DidForSaleAdapter(dfs_settings(base), session)
    with pytest.raises(ProviderUnavailable) as raised:
        await adapter.stream(query(Order.ASC, 3))
    text = str(raised.value)
    for secret in ("127.0.0.1", "http", "dfs-key-secret", "dfs-token-secret", "api/V4"):
        assert secret not in text


async def test_the_window_edges_are_exact(chicago, everything):
    middle = everything[1000].created_at
    window = TimeWindow(middle, middle + timedelta(hours=5))
    expected = [r for r in everything if window.contains(r.created_at)]
    assert (await chicago.adapter.stream(query(Order.ASC, window=window))).records == expected
    assert (await chicago.adapter.stream(query(Order.DESC, window=window))).records == expected[
        ::-1
    ]
