"""The page cache seen from outside: replicas sharing Redis, writes visible at once, and
what each adapter asks its provider for."""

import math
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.support.relay import FORWARD, walk
from tests.support.simulators import DFS_ZONE, Simulated, simulator_stats, upstream_requests

from .accounts import deploy

DFS_ROWS = 1800


@pytest.fixture
async def replicas(redis_url) -> AsyncIterator[Simulated]:
    deployed = await deploy(
        dfs_count=DFS_ROWS,
        cx_counts=(300, 60),
        cache={"backend": "redis", "redis_url": redis_url, "ttl_seconds": 600},
        replicas=2,
    )
    yield deployed
    await deployed.close()


async def test_a_walk_alternating_replicas_shares_cursors_and_cached_pages(replicas):
    done = await walk(replicas.gql.round_robin(), FORWARD, 25, order="CREATED_AT_ASC")
    seen = [record["id"] for record in done.records]
    assert len(seen) == len(set(seen)) == DFS_ROWS + 300 + 60
    assert await upstream_requests(replicas, "dfs") <= math.ceil(DFS_ROWS / 500) + 2


FIXED = """
query Fixed($since: DateTime!) {
  smsRecords(first: 25, filter: {createdAfter: $since, createdBefore: "2100-01-01T00:00:00Z"}) {
    edges { node { id provider { name } userData } }
  }
}
"""


async def test_a_change_on_one_replica_is_read_on_the_other_through_the_cache(replicas):
    since = {"since": "2000-01-01T00:00:00Z"}
    first = await replicas.gql(FIXED, since, replica=1)
    target = next(
        e["node"]
        for e in first["data"]["smsRecords"]["edges"]
        if e["node"]["provider"]["name"] == "cx-a"
    )
    cached = await upstream_requests(replicas, "cx-a")
    assert (await replicas.gql(FIXED, since, replica=0)) == first
    assert await upstream_requests(replicas, "cx-a") == cached

    mutation = """
    mutation($id: ID!) { updateSmsRecordUserData(input: {id: $id, userData: "seen on A"}) {
      errors { code } } }
    """
    changed = await replicas.gql(mutation, {"id": target["id"]}, replica=0)
    assert changed["data"]["updateSmsRecordUserData"]["errors"] == []
    again = await replicas.gql(FIXED, since, replica=1)
    node = next(
        e["node"] for e in again["data"]["smsRecords"]["edges"] if e["node"]["id"] == target["id"]
    )
    assert node["userData"] == "seen on A"


async def test_carrierx_is_asked_only_for_the_fields_the_query_reads():
    deployed = await deploy(dfs_count=50, cx_counts=(80, 20))
    try:
        await deployed.gql(
            '{ smsRecords(first: 5, filter: {number: "+15550001111"}) '
            "{ nodes { from createdAt } } }"
        )
        await deployed.gql("{ smsRecords(first: 5) { nodes { id raw } } }")
        asked = [
            r["query"].get("include_fields")
            for r in (await simulator_stats(deployed, "cx-a"))["recent"]
            if r["path"].endswith("message_drs")
        ]
        narrow = set(asked[0].split(","))
        assert narrow == {"dr_sid", "date_insert", "number_src", "number_dst", "number_group_dst"}
        assert asked[-1] is None
    finally:
        await deployed.close()


async def test_didforsale_is_asked_only_for_the_filter_s_time_range():
    deployed = await deploy(dfs_count=300, cx_counts=(10, 10))
    try:
        middle = deployed.accounts.dfs_instant(deployed.accounts.dfs["dfs"][150])
        middle = middle.replace(minute=0, second=0)
        since, until = middle - timedelta(days=1), middle + timedelta(days=1)
        query = """query($since: DateTime!, $until: DateTime!) {
          smsRecords(first: 100, orderBy: CREATED_AT_ASC,
                     filter: {createdAfter: $since, createdBefore: $until, providers: ["dfs"]}) {
            nodes { createdAt } } }"""
        result = await deployed.gql(query, {"since": iso(since), "until": iso(until)})
        times = [n["createdAt"] for n in result["data"]["smsRecords"]["nodes"]]
        assert times and all(iso(since) <= t < iso(until) for t in times)
        zone = ZoneInfo(DFS_ZONE)
        widest = (wall(since - timedelta(hours=1), zone), wall(until + timedelta(hours=1), zone))
        bodies = [r["body"] for r in (await simulator_stats(deployed, "dfs"))["recent"]]
        assert bodies
        for body in bodies:
            assert widest[0] <= body["start_date"] <= body["end_date"] <= widest[1]
    finally:
        await deployed.close()


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def wall(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


@pytest.mark.parametrize(("max_memory_mb", "served_from_the_cache"), [(32, True), (0.01, False)])
async def test_the_memory_bound_decides_whether_a_didforsale_page_serves_the_next_pages(
    max_memory_mb, served_from_the_cache
):
    """An oldest-first walk of 1,800 DIDforSale rows in pages of 100 reads each 500-row page
    once while the cache may hold one; under a bound smaller than one page (10 KiB) nothing
    is kept, and each GraphQL page asks the provider again. Every record is seen once
    either way."""
    deployed = await deploy(
        dfs_count=DFS_ROWS,
        cx_counts=(),
        cache={"ttl_seconds": 600, "max_memory_mb": max_memory_mb},
    )
    try:
        done = await walk(deployed.gql, FORWARD, 100, order="CREATED_AT_ASC")
        calls = await upstream_requests(deployed, "dfs")
    finally:
        await deployed.close()
    seen = [record["id"] for record in done.records]
    assert len(seen) == len(set(seen)) == DFS_ROWS
    least = math.ceil(DFS_ROWS / 500)
    if served_from_the_cache:
        assert calls <= least + 2
    else:
        assert calls >= DFS_ROWS // 100
