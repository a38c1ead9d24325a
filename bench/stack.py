"""The benchmarks' deployment: the test harness's simulators and gateway, with half the
records on each provider. Benchmarks run as scripts (`python bench/x.py`), so this module
puts the repository root on the import path for the harness."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gateway.simulators.dataset import generate_carrierx_records, generate_didforsale_rows

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.relay import BACKWARD, FORWARD, walk
from tests.support.simulators import (
    DFS_ZONE,
    Simulated,
    control,
    deploy_simulators,
    requests_served,
    upstream_requests,
)

__all__ = [
    "BACKWARD",
    "FORWARD",
    "Simulated",
    "control",
    "deploy",
    "requests_served",
    "upstream_requests",
    "walk",
]


async def deploy(
    records: int, *, cache_ttl: float, policy: dict[str, Any] | None = None
) -> Simulated:
    """`dfs` and `cx`, half the records each, over the last 29 days."""
    now = datetime.now(UTC)
    half = records // 2
    rows = generate_didforsale_rows(half, seed=1, timezone=DFS_ZONE, now=now, days=29)
    items = generate_carrierx_records(records - half, seed=2, now=now, days=29)
    return await deploy_simulators(
        {"dfs": rows}, {"cx": items}, policy=policy, cache={"ttl_seconds": cache_ttl}
    )
