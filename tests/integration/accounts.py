"""Starts provider simulators and the gateway on loopback, and speaks GraphQL to it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web

from gateway.config import parse_settings
from gateway.server import create_app
from gateway.simulators.carrierx import CARRIERX_BASE_PATH, create_carrierx_app
from gateway.simulators.dataset import (
    DidForSaleRow,
    generate_carrierx_records,
    generate_didforsale_rows,
)
from gateway.simulators.didforsale import DIDFORSALE_BASE_PATH, create_didforsale_app

DFS_ZONE = "America/Chicago"
CX_TOKEN = "cx-manage-token"
CX_READ_ONLY_TOKEN = "cx-read-token"
SECRET = "integration-secret-0123456789"


async def start(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}"


@dataclass
class Deployment:
    """Simulators, their datasets, and a gateway over them."""

    gateway_urls: list[str]
    dfs_rows: list[DidForSaleRow]
    cx_records: dict[str, list[dict[str, Any]]]
    upstream_urls: dict[str, str]
    runners: list[web.AppRunner] = field(default_factory=list)
    http: aiohttp.ClientSession | None = None

    @property
    def gateway_url(self) -> str:
        return self.gateway_urls[0]

    async def gql(
        self, query: str, variables: dict[str, Any] | None = None, *, replica: int = 0
    ) -> dict[str, Any]:
        assert self.http is not None
        async with self.http.post(
            f"{self.gateway_urls[replica]}/graphql",
            json={"query": query, "variables": variables or {}},
        ) as response:
            assert response.status == 200, await response.text()
            return await response.json()

    def control_url(self, name: str) -> str:
        """The `/_simulator/` control routes of an account's simulator."""
        return "/".join(self.upstream_urls[name].split("/", 3)[:3]) + "/_simulator/"

    async def upstream_requests(self, name: str) -> int:
        """Provider API requests an account's simulator has received."""
        assert self.http is not None
        async with self.http.get(self.control_url(name) + "stats") as response:
            return (await response.json())["requests"]

    async def close(self) -> None:
        if self.http is not None:
            await self.http.close()
        for runner in reversed(self.runners):
            await runner.cleanup()


async def deploy(
    *,
    dfs_count: int = 700,
    cx_counts: tuple[int, ...] = (600, 150),
    now: datetime | None = None,
    extra_providers: list[dict[str, Any]] | None = None,
    cache: dict[str, Any] | None = None,
    replicas: int = 1,
    policy: dict[str, Any] | None = None,
) -> Deployment:
    """DIDforSale `dfs` (Chicago time), CarrierX `cx-a` and `cx-b` (one simulator each, as many
    as `cx_counts` names), and `replicas` gateways sharing one config; `policy` holds keys
    for every account's block (timeouts, retries, breaker)."""
    now = now or datetime.now(UTC)
    runners: list[web.AppRunner] = []
    dfs_rows = generate_didforsale_rows(dfs_count, seed=11, timezone=DFS_ZONE, now=now, days=29)
    runner, dfs_root = await start(
        create_didforsale_app(dfs_rows, api_key="dfs-key", token="dfs-token", timezone=DFS_ZONE)
    )
    runners.append(runner)
    cx_records: dict[str, list[dict[str, Any]]] = {}
    upstream = {"dfs": dfs_root + DIDFORSALE_BASE_PATH}
    providers: list[dict[str, Any]] = [
        {
            "name": "dfs",
            "kind": "didforsale",
            "base_url": upstream["dfs"],
            "api_key": "dfs-key",
            "token": "dfs-token",
            "timezone": DFS_ZONE,
            **(policy or {}),
        }
    ]
    for name, count, seed in zip(("cx-a", "cx-b"), cx_counts, (12, 13), strict=False):
        records = generate_carrierx_records(count, seed=seed, now=now, days=29)
        cx_records[name] = records
        runner, root = await start(
            create_carrierx_app(
                records, tokens={CX_TOKEN: {"sms.manage"}, CX_READ_ONLY_TOKEN: {"sms.read"}}
            )
        )
        runners.append(runner)
        upstream[name] = root + CARRIERX_BASE_PATH
        providers.append(
            {
                "name": name,
                "kind": "carrierx",
                "base_url": upstream[name],
                "token": CX_TOKEN,
                **(policy or {}),
            }
        )
    providers.extend(extra_providers or [])
    settings = parse_settings(
        {
            "server": {"default_page_size": 20, "max_page_size": 100},
            "security": {"cursor_secret": SECRET},
            "cache": cache or {},
            "providers": providers,
        },
        environ={},
    )
    gateway_urls = []
    for _ in range(replicas):
        runner, gateway_url = await start(await create_app(settings))
        runners.append(runner)
        gateway_urls.append(gateway_url)
    deployment = Deployment(gateway_urls, dfs_rows, cx_records, upstream, runners)
    deployment.http = aiohttp.ClientSession()
    return deployment


def dfs_instant(row: DidForSaleRow) -> datetime:
    """The test's own reading of a DIDforSale date: account zone, first occurrence in a fold."""
    naive = datetime.strptime(row.date, "%Y-%m-%d %H:%M:%S")
    return naive.replace(tzinfo=ZoneInfo(DFS_ZONE), fold=0).astimezone(UTC)


def cx_instant(record: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(record["date_insert"].replace("Z", "+00:00"))


def expected_order(deployment: Deployment, descending: bool = False) -> list[tuple[str, str]]:
    """(account, provider record id) of every record, in the contract's total order."""
    keyed = [(dfs_instant(row), "dfs", i, row.uuid) for i, row in enumerate(deployment.dfs_rows)]
    for name, records in deployment.cx_records.items():
        keyed += [(cx_instant(r), name, i, r["dr_sid"]) for i, r in enumerate(records)]
    keyed.sort(key=lambda item: item[:3], reverse=descending)
    return [(name, record_id) for _, name, _, record_id in keyed]
