"""The integration accounts: DIDforSale `dfs` (Chicago time), CarrierX `cx-a` and `cx-b`,
generated over the last 29 days, and the order their records merge into."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from gateway.simulators.dataset import generate_carrierx_records, generate_didforsale_rows
from tests.support.simulators import DFS_ZONE, Datasets, Simulated, deploy_simulators


async def deploy(
    *,
    dfs_count: int = 700,
    cx_counts: tuple[int, ...] = (600, 150),
    now: datetime | None = None,
    **options: Any,
) -> Simulated:
    """`dfs` with `dfs_count` rows and as many CarrierX accounts as `cx_counts` names, each
    with that many records, over the 29 days before `now` (the present unless a test needs
    fixed dates); `options` go to `deploy_simulators` (policy, cache, replicas, extra
    providers, settings)."""
    now = now or datetime.now(UTC)
    rows = generate_didforsale_rows(dfs_count, seed=11, timezone=DFS_ZONE, now=now, days=29)
    cx = {
        name: generate_carrierx_records(count, seed=seed, now=now, days=29)
        for name, count, seed in zip(("cx-a", "cx-b"), cx_counts, (12, 13), strict=False)
    }
    return await deploy_simulators({"dfs": rows}, cx, **options)


def cx_instant(record: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(record["date_insert"].replace("Z", "+00:00"))


def expected_order(deployment: Simulated, descending: bool = False) -> list[tuple[str, str]]:
    """(account, provider record id) of every record, in the contract's total order."""
    return merged_order(deployment.accounts, descending)


def merged_order(datasets: Datasets, descending: bool = False) -> list[tuple[str, str]]:
    """(account, provider record id) of every record of `datasets`, in the contract's order."""
    keyed = [
        (datasets.dfs_instant(row), name, i, row.uuid)
        for name, rows in datasets.dfs.items()
        for i, row in enumerate(rows)
    ]
    for name, records in datasets.cx.items():
        keyed += [(cx_instant(r), name, i, r["dr_sid"]) for i, r in enumerate(records)]
    keyed.sort(key=lambda item: item[:3], reverse=descending)
    return [(name, record_id) for _, name, _, record_id in keyed]
