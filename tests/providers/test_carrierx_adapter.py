"""The CarrierX adapter against the simulator, over loopback HTTP."""

from dataclasses import replace
from datetime import timedelta
from urllib.parse import parse_qs

import pytest

from gateway.errors import (
    BadUserInput,
    MalformedRecordId,
    ProviderError,
    ProviderForbidden,
    ProviderUnavailable,
)
from gateway.providers.base import Boundary, is_after
from gateway.providers.carrierx import CarrierXAdapter
from gateway.records import (
    Direction,
    MessageType,
    Order,
    ProviderCapability,
    RecordFilter,
    SmsStatus,
    TimeWindow,
)
from gateway.simulators.dataset import generate_carrierx_records
from tests.support.serving import unused_port

from .simulated import (
    CX_NO_SCOPE_TOKEN,
    CX_READ_TOKEN,
    NOW,
    carrierx,
    cx_listing,
    cx_settings,
    first_tie,
    odd_cx_record,
    query,
    recording_session,
    ties_split,
    walk,
)

RECORDS = generate_carrierx_records(3000, seed=4, now=NOW)
RECORDS.append(odd_cx_record(RECORDS, 1500))


@pytest.fixture(scope="module")
async def cx(session):
    async with carrierx(RECORDS, session) as simulated:
        yield simulated


@pytest.fixture(scope="module")
async def everything(cx):
    return (await cx.adapter.stream(query(Order.ASC))).records


def sent_params(urls):
    return [{key: values[0] for key, values in parse_qs(url.query_string).items()} for url in urls]


async def test_the_whole_stream_ascending_is_the_listing(cx, everything):
    assert [record.provider_record_id for record in everything] == cx_listing(cx.app)
    assert len(everything) == len(RECORDS)


async def test_the_whole_stream_descending_is_its_reverse(cx, everything):
    assert (await cx.adapter.stream(query(Order.DESC))).records == everything[::-1]


@pytest.mark.parametrize("order", list(Order))
@pytest.mark.parametrize("page", [7, 100, 1000, 1001])
async def test_resuming_from_each_page_yields_every_record_once(cx, everything, order, page):
    pages = await walk(cx.adapter, order, page)
    expected = everything if order is Order.ASC else everything[::-1]
    assert [record for chunk in pages for record in chunk] == expected


@pytest.mark.parametrize("order", list(Order))
async def test_resuming_one_record_at_a_time_through_same_millisecond_ties(cx, everything, order):
    ties = [
        i
        for i in range(len(everything) - 1)
        if everything[i].created_at == everything[i + 1].created_at
    ]
    assert len(ties) > 5
    moment = everything[ties[0]].created_at
    window = TimeWindow(moment - timedelta(hours=3), moment + timedelta(hours=3))
    expected = (await cx.adapter.stream(query(order, window=window))).records
    pages = await walk(cx.adapter, order, 1, window=window)
    assert [record for chunk in pages for record in chunk] == expected
    assert ties_split(pages) >= 1


@pytest.mark.parametrize("order", list(Order))
@pytest.mark.parametrize("other", ["aaa", "zzz"])
@pytest.mark.parametrize("shift", [timedelta(0), timedelta(microseconds=400)])
async def test_a_boundary_of_another_account(cx, everything, order, other, shift):
    ordered = everything if order is Order.ASC else everything[::-1]
    tied = first_tie(ordered)
    boundary = Boundary(tied.created_at + shift, other, "x")
    expected = [record for record in ordered if is_after(record, boundary, order)][:40]
    assert (await cx.adapter.stream(query(order, 40, after=boundary))).records == expected


async def test_a_boundary_whose_record_is_gone_resumes_by_time(cx, everything):
    tied = first_tie(everything)
    gone = Boundary(tied.created_at, "cx", "00000000-0000-4000-8000-00000000dead")
    later = [r for r in everything if r.created_at > tied.created_at]
    assert (await cx.adapter.stream(query(Order.ASC, 30, after=gone))).records == later[:30]
    earlier = [r for r in everything[::-1] if r.created_at < tied.created_at]
    assert (await cx.adapter.stream(query(Order.DESC, 30, after=gone))).records == earlier[:30]


FILTERS = [
    RecordFilter(direction=Direction.INBOUND),
    RecordFilter(direction=Direction.UNDIRECTED),
    RecordFilter(statuses=frozenset({SmsStatus.DELIVERED, SmsStatus.SENT})),
    RecordFilter(statuses=frozenset({SmsStatus.UNKNOWN})),
    RecordFilter(statuses=frozenset({SmsStatus.UNKNOWN, SmsStatus.TIMED_OUT})),
    RecordFilter(type=MessageType.MMS),
    RecordFilter(type=MessageType.SMS, statuses=frozenset({SmsStatus.UNKNOWN})),
    RecordFilter(
        direction=Direction.OUTBOUND,
        type=MessageType.SMS,
        statuses=frozenset({SmsStatus.FAILED, SmsStatus.UNDELIVERED}),
    ),
    RecordFilter(
        created_after=NOW - timedelta(days=9, microseconds=1500),
        created_before=NOW - timedelta(days=7, hours=4, microseconds=2500),
    ),
]


@pytest.mark.parametrize("narrowing", FILTERS)
@pytest.mark.parametrize("order", list(Order))
async def test_pushdown_equals_filtering_the_whole_stream(cx, everything, narrowing, order):
    ordered = everything if order is Order.ASC else everything[::-1]
    expected = [record for record in ordered if narrowing.matches(record)]
    assert expected, "each filter should match something"
    assert (await cx.adapter.stream(query(order, narrowing=narrowing))).records == expected
    pages = await walk(cx.adapter, order, 37, narrowing=narrowing)
    assert [record for chunk in pages for record in chunk] == expected


@pytest.mark.parametrize("order", list(Order))
async def test_a_number_filter_is_a_union_of_three_listings_read_at_once(cx, everything, order):
    group = next(r for r in everything if len(r.group_recipients) > 1)
    number = group.group_recipients[0]
    narrowing = RecordFilter(number=number)
    ordered = everything if order is Order.ASC else everything[::-1]
    expected = [r for r in ordered if narrowing.matches(r)]
    recording, urls = recording_session()
    async with recording:
        adapter = CarrierXAdapter(cx_settings(cx.base_url), recording)
        stream = await adapter.stream(query(order, 5, narrowing=narrowing))
        assert stream.records == expected[:5]
        resumed = replace(
            query(order, 1000, narrowing=narrowing, after=Boundary.of(stream.records[-1])),
            resume=stream.entries[-1].resume,
        )
        assert (await adapter.stream(resumed)).records == expected[5:]
    first_three = sent_params(urls)[:3]
    digits = number.removeprefix("+")
    assert sorted(params["filter"].split(" and ")[-1] for params in first_three) == [
        f"number_dst eq '{digits}'",
        f"number_src eq '{digits}'",
        "type eq 'mms'",
    ]
    assert {params["limit"] for params in first_three} == {"5" if order is Order.ASC else "6"}


async def test_it_asks_for_no_more_than_it_needs(cx):
    recording, urls = recording_session()
    async with recording:
        adapter = CarrierXAdapter(cx_settings(cx.base_url), recording)
        assert len((await adapter.stream(query(Order.DESC, 21))).records) == 21
        assert len((await adapter.stream(query(Order.ASC, 2500))).records) == 2500
    first, *rest = sent_params(urls)
    assert (first["limit"], first["order"]) == ("22", "date_insert desc")
    assert "after" not in first and "offset" not in first
    assert [params["limit"] for params in rest] == ["1000", "1000", "500"]
    assert all("offset" not in params for params in rest)
    assert "after" not in rest[0] and rest[1]["after"] and rest[2]["after"]


async def test_get_many(cx, everything):
    wanted = [everything[0], everything[1500], everything[-1]]
    keys = [record.node_key for record in wanted]
    missing = "00000000-0000-4000-8000-00000000beef"
    assert await cx.adapter.get_many([*keys, missing, keys[0]]) == [*wanted, None, wanted[0]]
    assert await cx.adapter.get_many([]) == []


async def test_get_many_rejects_malformed_keys(cx):
    with pytest.raises(MalformedRecordId):
        await cx.adapter.get_many(["..", RECORDS[0]["dr_sid"]])


async def test_update_user_data(session):
    async with carrierx(RECORDS[:50], session) as simulated:
        sid = RECORDS[10]["dr_sid"]
        updated = await simulated.adapter.update_user_data(sid, "ticket 42")
        assert updated is not None
        assert updated.user_data == "ticket 42"
        assert updated.provider_record_id == sid
        assert updated.updated_at is not None
        [fetched] = await simulated.adapter.get_many([sid])
        assert fetched == updated
        cleared = await simulated.adapter.update_user_data(sid, None)
        assert cleared is not None and cleared.user_data is None
        assert await simulated.adapter.update_user_data("00000000-dead", "x") is None
        with pytest.raises(BadUserInput, match=r"refused the user data: .*\b2000 characters"):
            await simulated.adapter.update_user_data(sid, "x" * 2001)
        assert (await simulated.adapter.update_user_data(sid, "x" * 2000)).user_data == "x" * 2000


async def test_a_refused_update_is_bad_input(session):
    async with carrierx(RECORDS[:5], session) as simulated:
        simulated.inject(
            status=422,
            body={
                "message": "unprocessable entity",
                "errors": [
                    {
                        "field": "user_data",
                        "message": "see https://api.carrierx.com/x?token=t",
                        "reference_sid": None,
                    }
                ],
            },
        )
        with pytest.raises(BadUserInput) as raised:
            await simulated.adapter.update_user_data(RECORDS[1]["dr_sid"], "note")
        assert "https://" not in raised.value.message
        assert raised.value.message == "carrierx account 'cx' refused the user data: see <link>"


async def test_an_update_is_not_retried(session):
    async with carrierx(RECORDS[:5], session) as simulated:
        simulated.inject(times=2, status=503)
        with pytest.raises(ProviderUnavailable):
            await simulated.adapter.update_user_data(RECORDS[1]["dr_sid"], "note")
        assert simulated.faults_left == 1


@pytest.mark.parametrize(
    ("token", "error", "message"),
    [
        ("wrong-secret", ProviderError, "carrierx account 'cx' rejected the credentials"),
        (
            CX_NO_SCOPE_TOKEN,
            ProviderForbidden,
            "carrierx account 'cx' lacks the scope to list records",
        ),
    ],
)
async def test_credentials_and_scopes(cx, session, token, error, message):
    adapter = CarrierXAdapter(cx_settings(cx.base_url, token=token), session)
    with pytest.raises(error) as raised:
        await adapter.stream(query(Order.ASC, 5))
    assert type(raised.value) is error
    assert raised.value.message == message
    with pytest.raises(error):
        await adapter.check()


async def test_a_read_only_token_cannot_update(cx, session):
    adapter = CarrierXAdapter(cx_settings(cx.base_url, token=CX_READ_TOKEN), session)
    assert len((await adapter.stream(query(Order.ASC, 2))).records) == 2
    with pytest.raises(ProviderForbidden, match="lacks the scope to update records"):
        await adapter.update_user_data(RECORDS[0]["dr_sid"], "note")


async def test_capabilities_and_check(cx):
    assert cx.adapter.capabilities == set(ProviderCapability)
    assert cx.adapter.kind.value == "carrierx"
    await cx.adapter.check()


async def test_faults_are_retried_then_reported(session):
    async with carrierx(RECORDS[:50], session) as cx:
        cx.inject(status=500)
        assert len((await cx.adapter.stream(query(Order.ASC, 3))).records) == 3
        cx.inject(status=429, retry_after=0.05)
        assert len(await cx.adapter.get_many([RECORDS[0]["dr_sid"]])) == 1
        cx.inject(times=3, status=503)
        with pytest.raises(ProviderUnavailable, match=r"unavailable \(HTTP 503\)"):
            await cx.adapter.stream(query(Order.DESC, 3))


async def test_a_slow_account(session):
    """Real time, as the timeout is the event loop's: each reply comes 1s late against a
    0.1s timeout, far enough apart for a loaded machine."""
    async with carrierx(RECORDS[:50], session, timeout_seconds=0.1) as cx:
        cx.inject(times=3, status=None, delay=1.0)
        with pytest.raises(ProviderUnavailable) as raised:
            await cx.adapter.check()
    assert raised.value.message == "carrierx account 'cx' did not answer within 0.1s"


async def test_a_closed_port(session):
    base = f"http://127.0.0.1:{unused_port()}/core/v2"
    adapter = CarrierXAdapter(cx_settings(base), session)
    with pytest.raises(ProviderUnavailable) as raised:
        await adapter.get_many([RECORDS[0]["dr_sid"]])
    text = str(raised.value)
    assert text == "carrierx account 'cx' could not be reached"
    assert "cx-token-secret" not in text and "127.0.0.1" not in text
