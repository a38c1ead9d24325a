"""Upstream call budget: each walk asks every provider for no more than its pages need.

The simulators count the requests they receive; counts are deterministic, so they are
asserted exactly or by tight bounds.
"""

import math
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from random import Random
from zoneinfo import ZoneInfo

import pytest

from gateway.simulators.dataset import (
    generate_carrierx_records,
    generate_didforsale_rows,
    iso_millis,
    local_date,
)
from tests.support.relay import BACKWARD, FORWARD, Walk, record_keys, walk
from tests.support.simulators import (
    DFS_ZONE,
    Simulated,
    deploy_simulators,
    requests_served,
    simulator_stats,
    upstream_requests,
)

from .accounts import deploy, expected_order

DFS_ROWS, CX_A, CX_B = 2600, 700, 150


@pytest.fixture
async def fresh() -> AsyncIterator[Simulated]:
    """A new deployment per test: empty cache, zeroed counters."""
    deployed = await deploy(dfs_count=DFS_ROWS, cx_counts=(CX_A, CX_B), cache={"ttl_seconds": 600})
    yield deployed
    await deployed.close()


async def shaped(deployment: Simulated, order: str, size: int, forward: bool) -> Walk:
    return await walk(deployment.gql, FORWARD if forward else BACKWARD, size, order=order)


SHAPES = [
    ("CREATED_AT_DESC", True),
    ("CREATED_AT_ASC", True),
    ("CREATED_AT_DESC", False),
    ("CREATED_AT_ASC", False),
]


@pytest.mark.parametrize(("order", "forward"), SHAPES)
@pytest.mark.parametrize("size", [20, 7])
async def test_a_walk_stays_within_the_call_budget(fresh, order, forward, size):
    done = await shaped(fresh, order, size, forward)
    pages = len(done.pages)
    assert record_keys(done.records) == expected_order(fresh, descending=order == "CREATED_AT_DESC")

    dfs_pages = math.ceil(DFS_ROWS / 500)
    newest_first = (order == "CREATED_AT_DESC") == forward
    dfs_calls = await upstream_requests(fresh, "dfs")
    if newest_first:
        assert dfs_calls <= 1.1 * dfs_pages + 2 * math.log2(DFS_ROWS)
    else:
        assert dfs_calls <= dfs_pages + 2

    for name in ("cx-a", "cx-b"):
        cx = await simulator_stats(fresh, name)
        assert cx["requests"] <= pages
        limits = [
            int(r["query"]["limit"]) for r in cx["recent"] if r["path"].endswith("message_drs")
        ]
        assert size + 1 <= max(limits) <= size + 2


async def test_fifty_nodes_cost_one_call_per_carrierx_record_and_one_per_didforsale_second(fresh):
    fields = "id provider { name } createdAt"
    listed = await fresh.gql(
        f"{{ smsRecords(first: 50, orderBy: CREATED_AT_ASC) {{ nodes {{ {fields} }} }} }}"
    )
    nodes = listed["data"]["smsRecords"]["nodes"]
    before = {name: await upstream_requests(fresh, name) for name in ("dfs", "cx-a", "cx-b")}
    result = await fresh.gql(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [n["id"] for n in nodes]}
    )
    assert [n["id"] for n in result["data"]["nodes"]] == [n["id"] for n in nodes]
    for name in ("cx-a", "cx-b"):
        mine = [n for n in nodes if n["provider"]["name"] == name]
        assert await upstream_requests(fresh, name) - before[name] <= len(mine)
    dfs_seconds = {n["createdAt"][:19] for n in nodes if n["provider"]["name"] == "dfs"}
    assert await upstream_requests(fresh, "dfs") - before["dfs"] <= len(dfs_seconds)


@pytest.mark.parametrize(("order", "forward"), SHAPES)
async def test_an_empty_didforsale_account_costs_no_calls_after_the_first_page(order, forward):
    """Another account fills every page: the empty account's cursor hint must still say how
    far its own listing went, or each page would search its whole range again."""
    deployed = await deploy(dfs_count=0, cx_counts=(300, 0), cache={"ttl_seconds": 600})
    try:
        done = await shaped(deployed, order, 20, forward)
        assert len(done.records) == 300 and len(done.pages) == 15
        first_page_windows = 1 + math.ceil(math.log(30 * 24, 8))
        assert await upstream_requests(deployed, "dfs") <= first_page_windows
    finally:
        await deployed.close()


FIRST_PAGE = "{ smsRecords(first: 20) { nodes { id createdAt } } }"


@pytest.mark.parametrize("cached", [True, False])
async def test_an_identical_first_page_is_served_from_the_cache_within_its_step(cached):
    """With no `createdBefore`, the window ends at "now" rounded up to the cache's step (an
    hour here), so the same first page sends the same requests and finds them cached; with
    the cache off, each asks again as much as the first."""
    ttl = 3600 if cached else 0
    deployed = await deploy(dfs_count=DFS_ROWS, cx_counts=(CX_A, CX_B), cache={"ttl_seconds": ttl})
    try:
        first = await deployed.gql(FIRST_PAGE)
        made_by_first = await requests_served(deployed)
        assert await deployed.gql(FIRST_PAGE) == first
        after = await requests_served(deployed)
    finally:
        await deployed.close()
    assert all(made_by_first.values())
    made_by_second = {name: after[name] - made_by_first[name] for name in after}
    if cached:
        assert made_by_second == dict.fromkeys(after, 0)
    else:
        assert made_by_second == made_by_first


def one_a_second(count: int, seed: int, last: datetime) -> list[dict]:
    """CarrierX records one second apart up to `last`, in insertion order."""
    records = generate_carrierx_records(count, seed=seed, now=last, days=1)
    for index, record in enumerate(records):
        record["date_insert"] = iso_millis(last - timedelta(seconds=count - 1 - index))
    return records


def tie(records: list[dict], newest_first: tuple[int, int]) -> list[dict]:
    """The records with the two at these newest-first places sharing a millisecond."""
    younger, older = (len(records) - 1 - place for place in newest_first)
    records[older]["date_insert"] = records[younger]["date_insert"]
    return records


@pytest.mark.parametrize(
    ("ties", "calls"),
    [
        ((), 1),
        (((20, 21),), 1),  # only the record after the 21st asked for: it never shows
        (((19, 20),), 2),  # the 21st decides which of the run the 20th is
        (((3, 4),), 2),  # their order on the page is the API's ascending one
    ],
)
async def test_a_newest_first_first_page_reads_again_only_a_run_it_can_show(ties, calls):
    """A page of 20 asks CarrierX for 22 records newest first (one more than the page, to
    tell whether more follow, and one more to see a run cut): only a same-millisecond run
    among the 21 that can decide the page is read again ascending."""
    now = datetime.now(UTC).replace(microsecond=0)
    records = one_a_second(100, 5, now - timedelta(minutes=1))
    for places in ties:
        tie(records, places)
    deployed = await deploy_simulators({}, {"cx": records}, cache={"ttl_seconds": 600})
    try:
        page = await deployed.gql(FIRST_PAGE.replace("nodes {", "nodes { providerRecordId"))
        made = await upstream_requests(deployed, "cx")
    finally:
        await deployed.close()
    shown = [node["providerRecordId"] for node in page["data"]["smsRecords"]["nodes"]]
    assert shown == [record["dr_sid"] for record in records[::-1][:20]]
    assert made == calls


async def test_a_run_of_an_account_s_oldest_records_is_read_again_once_in_a_walk():
    """Walking oldest first backwards, an account whose oldest records share one millisecond
    lists newest first from where the other account stands; while none of its records make
    a page, it repeats the same (cached) listing instead of reading the run again."""
    now = datetime.now(UTC).replace(microsecond=0)
    busy = one_a_second(300, 6, now - timedelta(minutes=1))
    quiet = one_a_second(12, 7, now - timedelta(days=1))
    for record in quiet[:8]:
        record["date_insert"] = quiet[0]["date_insert"]
    deployed = await deploy_simulators(
        {}, {"busy": busy, "quiet": quiet}, cache={"ttl_seconds": 600}
    )
    try:
        done = await walk(deployed.gql, BACKWARD, 10, order="CREATED_AT_ASC")
        made = await upstream_requests(deployed, "quiet")
    finally:
        await deployed.close()
    expected = [("quiet", r["dr_sid"]) for r in quiet] + [("busy", r["dr_sid"]) for r in busy]
    assert record_keys(done.records) == expected
    assert len(done.pages) == 32
    assert made == 3


NUMBER = "+13125550142"


def with_number(records: list[dict], seed: int) -> list[dict]:
    """The records with NUMBER as sender, recipient or a group recipient of about a third
    of them, in every combination, and same-millisecond runs mixing the three."""
    rng = Random(seed)
    digits = NUMBER.removeprefix("+")
    for index, record in enumerate(records):
        role = rng.choice(("src", "dst", "group", "src+group", None, None, None))
        if role in ("src", "src+group"):
            record["number_src"] = digits
        if role == "dst":
            record["number_dst"] = digits
        if role in ("group", "src+group"):
            record["type"] = "mms"
            record["number_group_dst"] = [*record["number_group_dst"], digits]
        if index % 9 in (1, 2):
            record["date_insert"] = records[index - 1]["date_insert"]
    return records


def matching_order(records: list[dict], account: str, descending: bool) -> list[tuple[str, str]]:
    digits = NUMBER.removeprefix("+")
    kept = [
        (account, r["dr_sid"])
        for r in records
        if digits in (r["number_src"], r["number_dst"], *r["number_group_dst"])
    ]
    return kept[::-1] if descending else kept


@pytest.mark.parametrize(("order", "forward"), SHAPES)
async def test_a_number_walk_reads_three_listings_a_page_and_yields_each_record_once(
    order, forward
):
    """A `number` filter is three CarrierX listings read at once (sender, recipient, MMS),
    merged in the account's order with ties across them placed by one more listing of
    their millisecond; every page resumes each listing where it stood."""
    now = datetime.now(UTC).replace(microsecond=0)
    records = with_number(one_a_second(400, 8, now - timedelta(minutes=1)), 9)
    deployed = await deploy_simulators({}, {"cx": records}, cache={"ttl_seconds": 0})
    try:
        done = await walk(
            deployed.gql,
            FORWARD if forward else BACKWARD,
            10,
            order=order,
            filter={"number": NUMBER},
        )
        stats = await simulator_stats(deployed, "cx")
    finally:
        await deployed.close()
    descending = order == "CREATED_AT_DESC"
    assert record_keys(done.records) == matching_order(records, "cx", descending)
    first_page = [r["query"] for r in stats["recent"][:3]]
    digits = NUMBER.removeprefix("+")
    assert sorted(query["filter"].split(" and ")[-1] for query in first_page) == [
        f"number_dst eq '{digits}'",
        f"number_src eq '{digits}'",
        "type eq 'mms'",
    ]
    newest_first = descending == forward
    assert {query["limit"] for query in first_page} == {"12" if newest_first else "11"}
    # Three listings a page, plus the ascending re-reads of same-millisecond runs that a
    # newest-first listing needs; this dataset ties two records in every nine.
    assert stats["requests"] <= 5 * len(done.pages)


async def test_a_rare_number_s_first_page_reads_three_listings_at_once_then_the_mms_one_on():
    """Before, a rare number cost a serial scan of the whole account in doubling pages; now
    the sender and recipient listings end at once, and the MMS listing, holding up the page
    with no match in its first rows, reads on in the largest page the API gives."""
    now = datetime.now(UTC).replace(microsecond=0)
    records = one_a_second(400, 10, now - timedelta(minutes=1))
    digits = NUMBER.removeprefix("+")
    records[50]["number_src"] = records[300]["number_src"] = digits
    records[120]["number_dst"] = digits
    group = next(r for r in records[::-1] if r["number_group_dst"])
    group["number_group_dst"] = [*group["number_group_dst"], digits]
    deployed = await deploy_simulators({}, {"cx": records}, cache={"ttl_seconds": 0})
    try:
        page = await deployed.gql(
            "query($f: SmsRecordFilter) { smsRecords(first: 10, filter: $f, "
            "orderBy: CREATED_AT_ASC) { nodes { providerRecordId } } }",
            {"f": {"number": NUMBER}},
        )
        stats = await simulator_stats(deployed, "cx")
    finally:
        await deployed.close()
    shown = [node["providerRecordId"] for node in page["data"]["smsRecords"]["nodes"]]
    assert shown == [
        r["dr_sid"] for r in records if r in (records[50], records[120], records[300], group)
    ]
    assert stats["requests"] == 4
    assert [r["query"]["limit"] for r in stats["recent"]][-1] == "1000"


SPRING_FORWARD = datetime(2026, 3, 8, 8, tzinfo=UTC)
"""02:00 CST becomes 03:00 CDT in America/Chicago."""


async def test_a_didforsale_range_next_to_a_clock_change_lists_no_extra_hour():
    """The CDR listing is asked for exactly the wall-clock seconds that map into the range:
    an hour after the change, the rows of the hour before are not listed (and paged
    through) again, as a range widened by the zone's offsets around it would. 1,000 rows a
    second apart lie before 04:00 CDT, 300 after."""
    zone = ZoneInfo(DFS_ZONE)
    since = SPRING_FORWARD + timedelta(hours=1)
    rows = generate_didforsale_rows(1300, seed=14, timezone=DFS_ZONE, now=since, days=1)
    rows = [
        replace(row, instant=at, date=local_date(at, zone))
        for index, row in enumerate(rows)
        for at in [since + timedelta(seconds=index - 1000)]
    ]
    deployed = await deploy_simulators({"dfs": rows}, {}, cache={"ttl_seconds": 0})
    try:
        page = await deployed.gql(
            "query($since: DateTime!) { smsRecords(first: 100, orderBy: CREATED_AT_ASC, "
            "filter: {createdAfter: $since}) { nodes { createdAt } } }",
            {"since": "2026-03-08T09:00:00Z"},
        )
        stats = await simulator_stats(deployed, "dfs")
    finally:
        await deployed.close()
    assert page["data"]["smsRecords"]["nodes"][0]["createdAt"] == "2026-03-08T09:00:00.000Z"
    assert stats["recent"][0]["body"]["start_date"] == "2026-03-08 04:00:00"
    assert stats["requests"] == 1
