from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from gateway.providers.wallclock import wall_range, wall_to_utc

CHICAGO = ZoneInfo("America/Chicago")
ZONES = [ZoneInfo(name) for name in ("America/Chicago", "Europe/Berlin", "Australia/Lord_Howe")]
FALL_BACK = datetime(2024, 11, 3, 7, 0, tzinfo=UTC)  # 02:00 CDT becomes 01:00 CST
SPRING_FORWARD = datetime(2024, 3, 10, 8, 0, tzinfo=UTC)  # 02:00 CST becomes 03:00 CDT


def test_an_ordinary_wall_time():
    assert wall_to_utc(datetime(2024, 7, 1, 12, 0), CHICAGO) == datetime(2024, 7, 1, 17, tzinfo=UTC)


def test_the_repeated_hour_maps_to_its_first_occurrence():
    first = wall_to_utc(datetime(2024, 11, 3, 1, 30), CHICAGO)
    assert first == datetime(2024, 11, 3, 6, 30, tzinfo=UTC)
    assert wall_to_utc(datetime(2024, 11, 3, 2, 0), CHICAGO) == datetime(2024, 11, 3, 8, tzinfo=UTC)


def test_a_skipped_wall_time_maps_to_the_jump():
    assert wall_to_utc(datetime(2024, 3, 10, 2, 30), CHICAGO) == SPRING_FORWARD
    assert wall_to_utc(datetime(2024, 3, 10, 1, 59, 59), CHICAGO) < SPRING_FORWARD
    assert wall_to_utc(datetime(2024, 3, 10, 3, 0), CHICAGO) == SPRING_FORWARD


def _walls_around(moment: datetime, zone: ZoneInfo) -> list[datetime]:
    local = moment.astimezone(zone).replace(tzinfo=None)
    return [local + timedelta(seconds=seconds) for seconds in range(-3 * 3600, 3 * 3600, 37)]


def test_the_mapping_is_monotone_across_both_changes():
    for change in (FALL_BACK, SPRING_FORWARD):
        instants = [wall_to_utc(wall, CHICAGO) for wall in _walls_around(change, CHICAGO)]
        assert instants == sorted(instants)


near_changes = st.sampled_from(
    [FALL_BACK, SPRING_FORWARD, datetime(2024, 10, 27, 1, tzinfo=UTC), datetime(2024, 7, 1)]
)


@given(
    zone=st.sampled_from(ZONES),
    change=near_changes,
    wall_shift=st.integers(-4 * 3600, 4 * 3600),
    start_shift=st.integers(-4 * 3600 * 1000, 4 * 3600 * 1000),
    length=st.integers(1, 3 * 3600 * 1000),
)
def test_a_range_holds_exactly_the_wall_times_mapped_into_it(
    zone, change, wall_shift, start_shift, length
):
    change = change.replace(tzinfo=UTC)
    wall = change.astimezone(zone).replace(tzinfo=None) + timedelta(seconds=wall_shift)
    start = change + timedelta(milliseconds=start_shift)
    end = start + timedelta(milliseconds=length)
    listed = wall_range(start, end, zone)
    inside = start <= wall_to_utc(wall, zone) < end
    if listed is None:
        assert not inside
        return
    first, last = listed
    assert (first <= wall <= last) == inside
    assert first.microsecond == last.microsecond == 0
    assert start <= wall_to_utc(first, zone) and wall_to_utc(last, zone) < end


def test_a_range_across_the_spring_forward_gap_lists_no_extra_hour():
    start, end = SPRING_FORWARD - timedelta(minutes=1), SPRING_FORWARD + timedelta(minutes=1)
    assert wall_range(start, end, CHICAGO) == (
        datetime(2024, 3, 10, 1, 59, 0),
        datetime(2024, 3, 10, 3, 0, 59),
    )


def test_a_range_in_the_repeated_hour_reads_it_as_its_first_occurrence():
    second_occurrence = FALL_BACK + timedelta(minutes=30)  # 01:30 CST, after 01:30 CDT
    assert wall_range(FALL_BACK - timedelta(minutes=30), FALL_BACK, CHICAGO) == (
        datetime(2024, 11, 3, 1, 30, 0),
        datetime(2024, 11, 3, 1, 59, 59),
    )
    assert wall_range(FALL_BACK, second_occurrence, CHICAGO) is None


def test_a_range_within_one_second_holds_no_wall_time():
    start = datetime(2024, 1, 1, 10, 0, 0, 200_000, tzinfo=UTC)
    assert wall_range(start, start + timedelta(milliseconds=500), CHICAGO) is None


def test_a_range_in_utc_is_the_exact_seconds():
    start = datetime(2024, 1, 1, 10, 0, 0, 500_000, tzinfo=UTC)
    end = datetime(2024, 1, 1, 11, 0, tzinfo=UTC)
    assert wall_range(start, end, ZoneInfo("UTC")) == (
        datetime(2024, 1, 1, 10, 0, 1),
        datetime(2024, 1, 1, 10, 59, 59),
    )


def test_far_bounds_are_clamped_rather_than_overflowing():
    first, last = wall_range(
        datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC), CHICAGO
    )
    assert first.year == 1899 and last.year == 8999
