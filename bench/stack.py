"""Both simulators and a gateway over them on loopback, for the benchmarks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web

from gateway.config import parse_settings
from gateway.server import create_app
from gateway.simulators.carrierx import CARRIERX_BASE_PATH, create_carrierx_app
from gateway.simulators.dataset import generate_carrierx_records, generate_didforsale_rows
from gateway.simulators.didforsale import DIDFORSALE_BASE_PATH, create_didforsale_app

ZONE = "America/Chicago"


async def start(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


@dataclass
class Stack:
    """`dfs` and `cx` simulators (their site roots, for `/_simulator/`) and the gateway."""

    graphql_url: str
    roots: dict[str, str]
    runners: list[web.AppRunner] = field(default_factory=list)

    async def requests_made(self, http: aiohttp.ClientSession, account: str) -> int:
        async with http.get(self.roots[account] + "/_simulator/stats") as response:
            return (await response.json())["requests"]

    async def close(self) -> None:
        for runner in reversed(self.runners):
            await runner.cleanup()


async def deploy(records: int, *, cache_ttl: float, policy: dict[str, Any] | None = None) -> Stack:
    """Half the records on each provider, over the last 29 days."""
    now = datetime.now(UTC)
    half = records // 2
    rows = generate_didforsale_rows(half, seed=1, timezone=ZONE, now=now, days=29)
    items = generate_carrierx_records(records - half, seed=2, now=now, days=29)
    dfs_runner, dfs_root = await start(
        create_didforsale_app(rows, api_key="k", token="t", timezone=ZONE)
    )
    cx_runner, cx_root = await start(create_carrierx_app(items, tokens={"t": {"sms.manage"}}))
    stack = Stack("", {"dfs": dfs_root, "cx": cx_root}, [dfs_runner, cx_runner])
    settings = parse_settings(
        {
            "security": {"cursor_secret": "bench-secret-0123456789"},
            "cache": {"ttl_seconds": cache_ttl},
            "providers": [
                {
                    "name": "dfs",
                    "kind": "didforsale",
                    "base_url": dfs_root + DIDFORSALE_BASE_PATH,
                    "api_key": "k",
                    "token": "t",
                    "timezone": ZONE,
                    **(policy or {}),
                },
                {
                    "name": "cx",
                    "kind": "carrierx",
                    "base_url": cx_root + CARRIERX_BASE_PATH,
                    "token": "t",
                    **(policy or {}),
                },
            ],
        },
        environ={},
    )
    gateway_runner, gateway_root = await start(await create_app(settings))
    stack.runners.append(gateway_runner)
    stack.graphql_url = gateway_root + "/graphql"
    return stack
