"""Properties of whole walks over random datasets, through real HTTP.

Each example starts fresh simulators (one DIDforSale account in a DST zone, one or two
CarrierX accounts) and a gateway with a page cache, walks `smsRecords` to its end with a
random page size, direction, order and filter, and checks the walk against the order and the
filter the test computes itself from the raw rows, and the simulators' request counts against
the upstream call budget.

Datasets sit around one of the zone's 2026 DST changes and are laid out in bursts, so that
same-second (DIDforSale) and same-millisecond (CarrierX) ties, rows in both occurrences of a
repeated hour, and records tied across accounts are common. Per-record details come from a
drawn seed: the structure is what shrinks, and it stays within Hypothesis' buffer even for
1500 rows.
"""

from __future__ import annotations

import math
import uuid
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from random import Random
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from gateway.simulators.dataset import (
    CARRIERX_PARTNER_SID,
    DidForSaleRow,
    iso_millis,
    local_date,
    segments,
)
from tests.support.relay import BACKWARD, FORWARD, walk
from tests.support.simulators import Simulated, deploy_simulators, requests_served, wall_instant

ZONES = ("America/Chicago", "Europe/Berlin")
DFS_PAGE = 500
MAX_WALK_PAGES = 120
"""Page sizes are drawn so that a walk takes about this many GraphQL pages at most (CI time)."""

DFS_PAIRS = (
    ("inbound", "received"),
    ("outbound", "delivered"),
    ("outbound", "sent"),
    ("outbound", "failed"),
    ("outbound", "undelivered"),
    ("outbound", "queued"),
)
CX_PAIRS = (
    *DFS_PAIRS,
    ("outbound", "timed_out"),
    ("outbound", "sending_failed"),
    ("outbound", "sending_timed_out"),
    ("outbound", "internal_error"),
    ("undirected", "failed"),
    ("undirected", "received"),
)
OWN = ("12025550100", "12025550111")
EXTERNAL = ("13125550142", "13125550199", "447700900123")
GROUP_ONLY = "16175550123"
NUMBERS = tuple(f"+{n}" for n in (*OWN, *EXTERNAL, GROUP_ONLY, "15550000000"))
MESSAGES = ("hi", "your code is 4821", "Привет 👍", "running late " * 14)
STATUSES = tuple(sorted({status.upper() for _, status in CX_PAIRS} | {"UNKNOWN"}))
NUDGES = tuple(timedelta(microseconds=m) for m in (0, 1, -1, 1000, -1000, 999_999, -999_999))

Shown = tuple[str, str, str]
"""A record as a walk shows it: account, provider record id, createdAt."""


def dst_changes(zone_name: str, year: int = 2026) -> list[datetime]:
    """The instants the zone's UTC offset changes in `year` (always on a whole UTC hour)."""
    zone = ZoneInfo(zone_name)
    hour = datetime(year, 1, 1, tzinfo=UTC)
    changes = []
    while hour.year == year:
        following = hour + timedelta(hours=1)
        if hour.astimezone(zone).utcoffset() != following.astimezone(zone).utcoffset():
            changes.append(following)
        hour = following
    return changes


DST_CHANGES = {zone: dst_changes(zone) for zone in ZONES}


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def graphql_time(moment: datetime) -> str:
    """How the gateway's DateTime scalar writes an instant."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Listed:
    """One record as the test sees it: its place in the contract's order, what the filter
    reads, and what the walk must show."""

    created_at: datetime
    account: str
    position: int  # in the account's own listing order
    record_id: str
    direction: str
    status: str
    type: str
    numbers: frozenset[str]

    @property
    def shown(self) -> Shown:
        return self.account, self.record_id, graphql_time(self.created_at)


@dataclass(frozen=True, slots=True)
class Scenario:
    """One drawn example: the accounts' raw data and one walk over them."""

    zone: str
    dfs_name: str
    dfs_rows: list[DidForSaleRow] = field(repr=False)
    cx: dict[str, list[dict[str, Any]]] = field(repr=False)
    records: list[Listed] = field(repr=False)  # every record, ascending in the contract's order
    filter: dict[str, Any]  # SmsRecordFilter variables
    order: str
    forward: bool
    size: int

    @property
    def window(self) -> tuple[datetime, datetime]:
        return utc(self.filter["createdAfter"]), utc(self.filter["createdBefore"])

    def selected(self, item: Listed) -> bool:
        """The whole filter, applied to the raw data."""
        chosen = self.filter
        start, end = self.window
        return all(
            (
                start <= item.created_at < end,
                "providers" not in chosen or item.account in chosen["providers"],
                "direction" not in chosen or item.direction.upper() == chosen["direction"],
                "statuses" not in chosen or item.status.upper() in chosen["statuses"],
                "type" not in chosen or item.type.upper() == chosen["type"],
                "number" not in chosen or chosen["number"] in item.numbers,
            )
        )

    def expected(self) -> list[Shown]:
        ascending = [item.shown for item in self.records if self.selected(item)]
        return ascending if self.order == "CREATED_AT_ASC" else ascending[::-1]

    def reachable(self, account: str) -> bool:
        """Whether the filter lets the account hold answers at all; an account that cannot
        is never called."""
        chosen = self.filter
        start, end = self.window
        return (
            start < end
            and account in chosen.get("providers", [account])
            and chosen.get("statuses") != []
            and not (account == self.dfs_name and chosen.get("type") == "MMS")
        )

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """How Hypothesis shows a failing example: the walk, then, when there are few, the
        records in the contract's order, one a line (a DIDforSale one with its wall-clock
        `date` and row id)."""
        counts = {self.dfs_name: len(self.dfs_rows)} | {n: len(r) for n, r in self.cx.items()}
        lines = [
            f"Scenario(zone={self.zone!r}, didforsale={self.dfs_name!r}, records={counts}, "
            f"filter={self.filter}, order={self.order}, "
            f"{'first/after' if self.forward else 'last/before'} {self.size})"
        ]
        if len(self.records) <= 60:
            rows = {row.uuid: f" {row.date} #{row.row_id}" for row in self.dfs_rows}
            lines += [
                f"  {item.account} {graphql_time(item.created_at)} {item.record_id}"
                f"{rows.get(item.record_id, '')} {item.direction}/{item.status}/{item.type} "
                f"{' '.join(sorted(item.numbers))}"
                for item in self.records
            ]
        printer.text("\n".join(lines))

    def rows_in_range(self) -> int:
        """N of the DIDforSale budget: rows in the filter's time range. Only time narrows a
        CDR listing, so the other filters leave N as it is."""
        start, end = self.window
        return sum(
            1
            for item in self.records
            if item.account == self.dfs_name and start <= item.created_at < end
        )


@st.composite
def bursts(draw: st.DrawFn, count: int) -> list[int]:
    """`count` sorted offsets, in units, laid out as bursts of (gap before, share, width):
    a burst spreads its share of the records evenly over `width` units, so a share larger
    than the width makes ties, and width 0 puts the whole burst on one unit."""
    shape = draw(
        st.lists(
            st.tuples(st.integers(0, 100), st.integers(1, 8), st.integers(0, 60)),
            min_size=1,
            max_size=25,
        )
    )
    weight = sum(share for _, share, _ in shape)
    shares = [count * share // weight for _, share, _ in shape]
    shares[0] += count - sum(shares)
    offsets: list[int] = []
    at = 0
    for (gap, _, width), share in zip(shape, shares, strict=True):
        at += gap
        offsets += [at + i * width // share for i in range(share)]
        at += width
    return offsets


def dfs_uuid(row_id: int) -> str:
    """A unique 13-digit uuid whose order has nothing to do with the row id's."""
    return str(10**12 + row_id * 7_919_113 % (9 * 10**12))


@st.composite
def didforsale_rows(draw: st.DrawFn, zone_name: str, change: datetime) -> list[DidForSaleRow]:
    """Rows around `change`, up to 1500 (often over one 500-row page), in insertion order."""
    zone = ZoneInfo(zone_name)
    count = draw(st.integers(0, 1500))
    unit = timedelta(seconds=draw(st.sampled_from((1, 60, 600))))
    offsets = draw(bursts(count))
    first = change - unit * draw(st.integers(0, offsets[-1] if offsets else 0))
    rng = Random(draw(st.integers(0, 2**32)))
    rows = []
    row_id = rng.randrange(1_000, 5_000)
    for offset in offsets:
        row_id += rng.randint(1, 7)
        instant = first + unit * offset
        direction, status = rng.choice(DFS_PAIRS)
        ours, theirs = rng.choice(OWN), rng.choice(EXTERNAL)
        sender, receiver = (theirs, ours) if direction == "inbound" else (ours, theirs)
        message = rng.choice(MESSAGES)
        rows.append(
            DidForSaleRow(
                row_id=row_id,
                instant=instant,
                sender=sender,
                reciever=receiver,
                uuid=dfs_uuid(row_id),
                message=message,
                cost=round(0.0075 * segments(message), 5),
                status=status,
                direction=direction,
                date=local_date(instant, zone),
            )
        )
    return rows


def money(value: Decimal) -> str:
    return format(value.normalize(), "f")


def carrierx_record(rng: Random, inserted: datetime) -> dict[str, Any]:
    """A detail record with every field the simulator serves, consistent with its type."""
    direction, status = rng.choice(CX_PAIRS)
    shape = rng.choice(("sms", "sms", "media", "group"))
    ours, theirs = rng.choice(OWN), rng.choice(EXTERNAL)
    src, dst = (theirs, ours) if direction == "inbound" else (ours, theirs)
    kind = "sms" if shape == "sms" else "mms"
    message = rng.choice(MESSAGES)
    parts = segments(message) if kind == "sms" else 1
    rate = Decimal("0.005") if kind == "sms" else Decimal("0.015")
    unsent = status in ("queued", "internal_error", "sending_failed", "sending_timed_out")
    sent = None if unsent else inserted + timedelta(milliseconds=rng.randint(0, 900))
    stop = None if status == "queued" else inserted + timedelta(seconds=rng.randint(1, 30))
    return {
        "date_changed": iso_millis(stop or inserted),
        "date_insert": iso_millis(inserted),
        "date_sent": None if sent is None else iso_millis(sent),
        "date_start": iso_millis(inserted),
        "date_stop": None if stop is None else iso_millis(stop),
        "delay_sent": None if sent is None else 0,
        "direction": direction,
        "dr_sid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "mcc": 310,
        "mcc_mnc_price": money(rate * parts),
        "mcc_mnc_rate": money(rate),
        "media_urls": [f"https://storage.carrierx.com/f/{rng.getrandbits(64):x}"]
        if shape == "media"
        else [],
        "message": message,
        "message_segments": parts,
        "mnc": 260,
        "number_billing": dst if direction == "inbound" else src,
        "number_dst": dst,
        "number_external": src if direction == "inbound" else dst,
        "number_group_dst": [dst, GROUP_ONLY] if shape == "group" else [],
        "number_src": src,
        "partner_sid": CARRIERX_PARTNER_SID,
        "passthrough_price": None,
        "passthrough_rate": None,
        "price": money(rate * parts),
        "provider": "tsg",
        "rate": money(rate),
        "status": status,
        "type": kind,
        "user_data": None,
        "version": None,
    }


@st.composite
def carrierx_records(
    draw: st.DrawFn, change: datetime, pins: list[datetime]
) -> list[dict[str, Any]]:
    """Records around `change` at millisecond precision, plus some pinned to instants of
    other accounts' records (ties across accounts), in insertion order."""
    unit = timedelta(milliseconds=draw(st.sampled_from((1, 1000, 60_000))))
    offsets = draw(bursts(draw(st.integers(0, 150))))
    first = change - unit * draw(st.integers(0, offsets[-1] if offsets else 0))
    pinned = draw(st.lists(st.sampled_from(pins), max_size=8)) if pins else []
    rng = Random(draw(st.integers(0, 2**32)))
    instants = sorted([first + unit * offset for offset in offsets] + pinned)
    return [carrierx_record(rng, instant) for instant in instants]


def listing(
    zone: ZoneInfo, dfs_name: str, rows: list[DidForSaleRow], cx: dict[str, list[dict[str, Any]]]
) -> list[Listed]:
    """Every record, ascending by (createdAt, account, the account's own listing order).

    DIDforSale lists by (`date`, insertion); CarrierX by `date_insert`, ties in insertion
    order, which is the order the records are handed to its simulator."""
    listed = [
        Listed(
            wall_instant(row.date, zone.key),
            dfs_name,
            position,
            row.uuid,
            row.direction,
            row.status,
            "sms",
            frozenset({f"+{row.sender}", f"+{row.reciever}"}),
        )
        for position, row in enumerate(sorted(rows, key=lambda row: (row.date, row.row_id)))
    ]
    for name, records in cx.items():
        listed += [
            Listed(
                utc(record["date_insert"]),
                name,
                position,
                record["dr_sid"],
                record["direction"],
                record["status"],
                record["type"],
                frozenset(
                    f"+{number}"
                    for number in (
                        record["number_src"],
                        record["number_dst"],
                        *record["number_group_dst"],
                    )
                ),
            )
            for position, record in enumerate(records)
        ]
    return sorted(listed, key=lambda item: (item.created_at, item.account, item.position))


@st.composite
def time_edge(draw: st.DrawFn, instants: list[datetime], far: datetime) -> datetime:
    """A filter bound: far outside the data, or on a record's instant, give or take a
    microsecond, a millisecond or most of a second."""
    return draw(st.sampled_from([far, *instants])) + draw(st.sampled_from(NUDGES))


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    zone_name = draw(st.sampled_from(ZONES))
    change = draw(st.sampled_from(DST_CHANGES[zone_name]))
    names = draw(st.permutations(("acct-a", "acct-m", "acct-z")))[: draw(st.integers(2, 3))]
    dfs_name, cx_names = names[0], names[1:]
    zone = ZoneInfo(zone_name)
    rows = draw(didforsale_rows(zone_name, change))
    pins = sorted({wall_instant(row.date, zone.key) for row in rows})
    cx = {name: draw(carrierx_records(change, pins)) for name in cx_names}
    records = listing(zone, dfs_name, rows, cx)

    instants = sorted({item.created_at for item in records} | {change})
    day = timedelta(days=1)
    edges = sorted(
        (
            draw(time_edge(instants, instants[0] - day)),
            draw(time_edge(instants, instants[-1] + day)),
        )
    )
    narrowing = draw(
        st.just({})
        | st.fixed_dictionaries(
            {},
            optional={
                "direction": st.sampled_from(("INBOUND", "OUTBOUND", "UNDIRECTED")),
                "statuses": st.lists(st.sampled_from(STATUSES), unique=True, max_size=6),
                "type": st.sampled_from(("SMS", "MMS")),
                "number": st.sampled_from(NUMBERS),
                "providers": st.lists(st.sampled_from(names), unique=True).map(sorted),
            },
        )
    )
    chosen = {"createdAfter": edges[0].isoformat(), "createdBefore": edges[1].isoformat()}
    scenario = Scenario(
        zone_name,
        dfs_name,
        rows,
        cx,
        records,
        chosen | narrowing,
        draw(st.sampled_from(("CREATED_AT_ASC", "CREATED_AT_DESC"))),
        draw(st.booleans()),
        size=1,
    )
    # The page size is drawn last, large enough for the walk to stay short.
    walked = len(scenario.expected())
    smallest = min(15, max(1, math.ceil(walked / MAX_WALK_PAGES)))
    return replace(scenario, size=draw(st.integers(smallest, 15)))


async def deploy(scenario: Scenario) -> Simulated:
    """Fresh simulators and a gateway with a generous page cache over them."""
    return await deploy_simulators(
        {scenario.dfs_name: scenario.dfs_rows},
        scenario.cx,
        zone=scenario.zone,
        cache={"ttl_seconds": 600},
    )


async def walked(deployment: Simulated, scenario: Scenario) -> tuple[list[Shown], int]:
    """The records of a whole walk in the query's order, and how many pages it took.

    Checks the Relay flags on the way; a walk that runs past every record fails rather than
    looping."""
    done = await walk(
        deployment.gql,
        FORWARD if scenario.forward else BACKWARD,
        scenario.size,
        max_pages=len(scenario.expected()) // scenario.size + 2,
        order=scenario.order,
        filter=scenario.filter,
    )
    done.check_relay()
    seen = [
        (record["provider"]["name"], record["providerRecordId"], record["createdAt"])
        for record in done.records
    ]
    return seen, len(done.pages)


async def walk_and_count(scenario: Scenario) -> tuple[list[Shown], int, dict[str, int]]:
    """A whole walk on a fresh deployment: its records, its pages, and each account's calls."""
    deployment = await deploy(scenario)
    try:
        before = await requests_served(deployment)
        seen, pages = await walked(deployment, scenario)
        after = await requests_served(deployment)
    finally:
        await deployment.close()
    calls = {name: after[name] - before[name] for name in after}
    note(f"N={scenario.rows_in_range()} pages={pages} calls={calls}")
    return seen, pages, calls


PROPERTY = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(scenario=scenarios())
async def test_a_walk_yields_exactly_the_filtered_merged_order(scenario: Scenario) -> None:
    seen, _, _ = await walk_and_count(scenario)
    assert seen == scenario.expected()


@PROPERTY
@given(scenario=scenarios())
async def test_a_walk_stays_within_the_upstream_call_budget(scenario: Scenario) -> None:
    """Per CarrierX account one call per page. A newest-first walk may spend more on its
    first page, to read its same-millisecond runs again ascending (the API leaves the order
    of ties in `desc` open): one call, doubling its size while a run goes on, so at most
    1 + log2(longest run) calls. Per DIDforSale account a bound in N, the rows in the
    filter's time range, whatever the other filters (the CDR listing narrows by time
    alone); an account the filter rules out is never called.

    Two kinds of CarrierX filter cannot meet one call a page, whatever the adapter does
    within the contract, and are left out of the CarrierX bound (not of the others):

    - a `number`: the grammar has only `and`, so it is three listings (sender, recipient,
      MMS) read at once on every page, and the MMS one, checked in the gateway, reads on
      while it holds up the page; `test_upstream_calls.py` counts these on fixed data;
    - a catch-all the API cannot be asked for, `direction: UNDIRECTED` or `UNKNOWN` among
      `statuses`: each stands for values outside the documented set and for null, which no
      documented operator selects (a complement misses nulls where the API reads them as
      SQL does), so the gateway filters them and reads on, in doubling pages, past the
      records it drops.
    """
    _, pages, calls = await walk_and_count(scenario)
    newest_first = (scenario.order == "CREATED_AT_DESC") == scenario.forward
    chosen = scenario.filter
    catch_all = chosen.get("direction") == "UNDIRECTED" or "UNKNOWN" in chosen.get("statuses", [])
    if "number" not in chosen and not catch_all:
        for name in scenario.cx:
            longest = max(Counter(r["date_insert"] for r in scenario.cx[name]).values(), default=1)
            rereads = 1 + math.ceil(math.log2(longest + 1)) if newest_first else 0
            budget = pages + rereads if scenario.reachable(name) else 0
            assert calls[name] <= budget, f"{name}: {calls[name]} calls for {pages} pages"
    n = scenario.rows_in_range()
    dfs_calls = calls[scenario.dfs_name]
    if not scenario.reachable(scenario.dfs_name):
        assert dfs_calls == 0
    elif newest_first:
        assert dfs_calls <= 1.1 * math.ceil(n / DFS_PAGE) + 2 * math.log2(n + 2) + 2
    else:
        assert dfs_calls <= math.ceil(n / DFS_PAGE) + 2
