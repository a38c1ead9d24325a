"""The gateway keeps its connections to each provider alive: a walk opens one per account.

Counted by the simulators, as the TCP connections their API requests came over. A walk asks
each account one call at a time, so one kept-alive connection serves every call; without
keep-alive there would be one connection per call.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.relay import FORWARD, walk
from tests.support.simulators import Simulated, simulator_stats

from .accounts import deploy


@pytest.fixture
async def uncached() -> AsyncIterator[Simulated]:
    """No page cache, so that every page asks every account."""
    deployed = await deploy(dfs_count=300, cx_counts=(300, 100), cache={"ttl_seconds": 0})
    yield deployed
    await deployed.close()


async def test_a_walk_reuses_one_connection_per_account(uncached):
    done = await walk(uncached.gql, FORWARD, 25)
    assert len(done.records) == 700
    for account in ("dfs", "cx-a", "cx-b"):
        stats = await simulator_stats(uncached, account)
        assert stats["requests"] >= len(done.pages), account
        assert stats["connections"] == 1, (account, stats["requests"])
