"""K-way merge and the total order, including a property test of merge + paging."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.paging.merge import merge_streams
from gateway.paging.position import Boundary, is_after
from gateway.records import Direction, MessageType, Order, ProviderKind, SmsRecord, SmsStatus

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def record(provider: str, seconds: int, record_id: str) -> SmsRecord:
    return SmsRecord(
        provider=provider,
        kind=ProviderKind.CARRIERX,
        provider_record_id=record_id,
        node_key=record_id,
        direction=Direction.OUTBOUND,
        status=SmsStatus.SENT,
        raw_status="sent",
        type=MessageType.SMS,
        from_number="+15550000001",
        to_number="+15550000002",
        created_at=T0 + timedelta(seconds=seconds),
        raw={},
    )


def merge(streams: list[list[SmsRecord]], order: Order) -> list[SmsRecord]:
    return merge_streams(streams, order, record_of=lambda record: record)


def test_ties_break_by_provider_name_then_provider_order():
    a = [record("b-prov", 1, "b1"), record("b-prov", 1, "b2")]
    b = [record("a-prov", 1, "a1"), record("a-prov", 2, "a2")]
    merged = merge([a, b], Order.ASC)
    assert [r.provider_record_id for r in merged] == ["a1", "b1", "b2", "a2"]


def test_descending_is_the_exact_reverse():
    a = [record("b-prov", 1, "b1"), record("b-prov", 1, "b2"), record("b-prov", 3, "b3")]
    b = [record("a-prov", 1, "a1"), record("a-prov", 2, "a2")]
    asc = merge([a, b], Order.ASC)
    desc = merge([list(reversed(a)), list(reversed(b))], Order.DESC)
    assert desc == list(reversed(asc))


def test_is_after_compares_time_then_provider():
    boundary = Boundary(T0 + timedelta(seconds=5), "m-prov", "x")
    assert is_after(record("z-prov", 5, "z"), boundary, Order.ASC)
    assert not is_after(record("a-prov", 5, "a"), boundary, Order.ASC)
    assert is_after(record("a-prov", 5, "a"), boundary, Order.DESC)
    assert is_after(record("a-prov", 4, "a"), boundary, Order.DESC)


def walk(streams: dict[str, list[SmsRecord]], order: Order, size: int) -> list[SmsRecord]:
    """Pages the way the service does: n + 1 records after each account's position."""

    def after(stream: list[SmsRecord], boundary: Boundary | None) -> list[SmsRecord]:
        ordered = stream if order is Order.ASC else list(reversed(stream))
        if boundary is None:
            return ordered
        for index, candidate in enumerate(ordered):
            if candidate.provider == boundary.provider:
                if candidate.provider_record_id == boundary.record_id:
                    return ordered[index + 1 :]
            elif is_after(candidate, boundary, order):
                return ordered[index:]
        return []

    seen: list[SmsRecord] = []
    boundary = None
    while True:
        fetched = [after(stream, boundary)[: size + 1] for stream in streams.values()]
        merged = merge(fetched, order)
        seen.extend(merged[:size])
        if len(merged) <= size:
            return seen
        boundary = Boundary.of(merged[size - 1])


@st.composite
def datasets(draw):
    names = draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=3, unique=True))
    streams = {}
    for name in names:
        seconds = sorted(draw(st.lists(st.integers(0, 20), max_size=30)))
        streams[name] = [record(name, s, f"{name}{i}") for i, s in enumerate(seconds)]
    return streams


@settings(max_examples=200, deadline=None)
@given(datasets(), st.sampled_from(list(Order)), st.integers(1, 7))
def test_paging_any_dataset_yields_the_merged_order_exactly_once(streams, order, size):
    everything = sorted(
        (r for stream in streams.values() for r in stream),
        key=lambda r: (r.created_at, r.provider, int(r.provider_record_id[1:])),
        reverse=order is Order.DESC,
    )
    assert walk(streams, order, size) == everything
