"""The gateway over the project's provider simulators, and the simulators' control routes."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from gateway.simulators.carrierx import CARRIERX_BASE_PATH, create_carrierx_app
from gateway.simulators.dataset import DidForSaleRow
from gateway.simulators.didforsale import DIDFORSALE_BASE_PATH, create_didforsale_app

from .deployment import Deployment, Upstream, deploy

DFS_ZONE = "America/Chicago"
DFS_KEY, DFS_TOKEN = "dfs-key", "dfs-token"
CX_TOKEN, CX_READ_ONLY_TOKEN = "cx-manage-token", "cx-read-token"
CX_TOKENS = {CX_TOKEN: {"sms.manage"}, CX_READ_ONLY_TOKEN: {"sms.read"}}


@dataclass(frozen=True)
class Datasets:
    """What each account's simulator serves, for a test to work out the answers itself."""

    dfs: dict[str, list[DidForSaleRow]]
    cx: dict[str, list[dict[str, Any]]]
    zone: str

    def dfs_instant(self, row: DidForSaleRow) -> datetime:
        return wall_instant(row.date, self.zone)


def wall_instant(date: str, zone: str) -> datetime:
    """The test's own reading of a DIDforSale `date` as the contract's createdAt: both
    occurrences of a repeated hour read as the first (fold=0). Rows never fall in a
    spring-forward gap, since their dates are real instants' wall clocks, so the adapter's
    gap rule never applies here."""
    naive = datetime.strptime(date, "%Y-%m-%d %H:%M:%S")
    return naive.replace(tzinfo=ZoneInfo(zone), fold=0).astimezone(UTC)


Simulated = Deployment[Datasets]


async def deploy_simulators(
    dfs: Mapping[str, list[DidForSaleRow]],
    cx: Mapping[str, list[dict[str, Any]]],
    *,
    zone: str = DFS_ZONE,
    policy: Mapping[str, Any] | None = None,
    cache: Mapping[str, Any] | None = None,
    replicas: int = 1,
    replica_accounts: Sequence[Collection[str]] = (),
    extra_providers: Sequence[Mapping[str, Any]] = (),
    settings: Mapping[str, Any] | None = None,
) -> Simulated:
    """One simulator per account (DIDforSale ones in `zone`) and the gateway over them;
    `policy` holds keys for every account's block (timeouts, retries, breaker)."""
    upstreams = [
        Upstream(
            name,
            create_didforsale_app(rows, api_key=DFS_KEY, token=DFS_TOKEN, timezone=zone),
            DIDFORSALE_BASE_PATH,
            {
                "kind": "didforsale",
                "api_key": DFS_KEY,
                "token": DFS_TOKEN,
                "timezone": zone,
                **(policy or {}),
            },
        )
        for name, rows in dfs.items()
    ] + [
        Upstream(
            name,
            create_carrierx_app(records, tokens=CX_TOKENS),
            CARRIERX_BASE_PATH,
            {"kind": "carrierx", "token": CX_TOKEN, **(policy or {})},
        )
        for name, records in cx.items()
    ]
    datasets = Datasets(dict(dfs), dict(cx), zone)
    return await deploy(
        datasets,
        upstreams,
        extra_providers=extra_providers,
        cache=cache,
        replicas=replicas,
        replica_accounts=replica_accounts,
        settings=settings,
    )


def control_url(deployment: Deployment[Any], account: str) -> str:
    """The `/_simulator/` control routes of an account's simulator."""
    return deployment.roots[account] + "/_simulator/"


async def simulator_stats(deployment: Deployment[Any], account: str) -> dict[str, Any]:
    """What an account's simulator has been asked: `requests` and the `recent` ones."""
    async with deployment.http.get(control_url(deployment, account) + "stats") as response:
        return await response.json()


async def upstream_requests(deployment: Deployment[Any], account: str) -> int:
    """Provider API requests an account's simulator has received."""
    return (await simulator_stats(deployment, account))["requests"]


async def requests_served(deployment: Deployment[Any]) -> dict[str, int]:
    """The provider API requests each account's simulator has received so far."""
    return {name: await upstream_requests(deployment, name) for name in deployment.roots}


async def control(
    deployment: Deployment[Any], account: str, route: str, spec: Mapping[str, Any]
) -> None:
    """Posts `spec` to a control route (`faults`, `chaos`) of an account's simulator."""
    url = control_url(deployment, account) + route
    async with deployment.http.post(url, json=dict(spec)) as response:
        assert response.status == 200, await response.text()


async def clear_faults(deployment: Deployment[Any], account: str) -> None:
    async with deployment.http.delete(control_url(deployment, account) + "faults") as response:
        assert response.status == 200, await response.text()


def outage(
    deployment: Deployment[Any], account: str, start: int, end: int
) -> Callable[[int], Awaitable[None]]:
    """A `walk` hook (`before_each`): the account answers 503 from its page `start` until its
    page `end`, then recovers."""

    async def before(page: int) -> None:
        if page == start:
            await control(deployment, account, "faults", {"status": 503, "times": 1000})
        if page == end:
            await clear_faults(deployment, account)

    return before


def providers_toml(
    deployment: Simulated, policy: Mapping[str, Mapping[str, object]] | None = None
) -> str:
    """A config's `[[providers]]` tables for every account of `deployment`, each with its
    simulator's credentials and the keys `policy` gives that account, for a gateway that runs
    in a process of its own."""
    tables = []
    for name, base in deployment.bases.items():
        entry: dict[str, object] = {"name": name, "base_url": base}
        if name in deployment.accounts.dfs:
            entry |= {"kind": "didforsale", "api_key": DFS_KEY, "token": DFS_TOKEN}
            entry["timezone"] = deployment.accounts.zone
        else:
            entry |= {"kind": "carrierx", "token": CX_TOKEN}
        entry |= (policy or {}).get(name, {})
        keys = "".join(f"{key} = {json.dumps(value)}\n" for key, value in entry.items())
        tables.append(f"[[providers]]\n{keys}")
    return "\n".join(tables)
