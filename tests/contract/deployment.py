"""The real gateway on loopback over the contract fakes, and a GraphQL client for it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiohttp
from aiohttp import web

from gateway.config import parse_settings
from gateway.server import create_app

from .data import (
    CX_ACCOUNTS,
    DFS_ZONES,
    WINDOW_END,
    WINDOW_START,
    carrierx_records,
    cx_created,
    dfs_created,
    didforsale_rows,
)
from .fakes import CarrierXFake, DidForSaleFake

CX_MANAGE, CX_READ, CX_NONE = "cx-manage-7f3a", "cx-read-91bc", "cx-none-04de"
CX_TOKENS = {CX_MANAGE: {"sms.manage"}, CX_READ: {"sms.read"}, CX_NONE: {"calls.read"}}
SECRET = "contract-secret-0123456789abcdef"
WINDOW_FILTER = {"createdAfter": WINDOW_START.isoformat(), "createdBefore": WINDOW_END.isoformat()}
SIZES = {"dfs-lhi": 1300, "dfs-ktm": 220, "alpha-cx": 250, "zulu-cx": 900}

Keep = Callable[[str, dict[str, Any], datetime], bool]
"""Which records a filter keeps: (account, raw row, contract creation instant)."""


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


def dfs_credentials(account: str) -> tuple[str, str]:
    return f"key-{account}", f"token-{account}"


@dataclass
class Contract:
    """Four accounts on four fakes, and a gateway over them."""

    dfs: dict[str, DidForSaleFake]
    cx: dict[str, CarrierXFake]
    bases: dict[str, str]
    gateway_url: str = ""
    http: aiohttp.ClientSession | None = None
    runners: list[web.AppRunner] = field(default_factory=list)

    async def gql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        assert self.http is not None
        payload = {"query": query, "variables": variables or {}}
        async with self.http.post(f"{self.gateway_url}/graphql", json=payload) as response:
            assert response.status == 200, await response.text()
            return await response.json()

    def expected(self, *, descending: bool = False, keep: Keep | None = None) -> list[tuple]:
        """(account, record id) of every record in the window, in the contract's total order:
        createdAt, then account name, then the provider's own listing order."""
        keyed: list[tuple[Any, ...]] = []
        for name, dfs in self.dfs.items():
            for position, row in enumerate(dfs.listing()):
                keyed.append((dfs_created(row, name), name, position, row["uuid"], row))
        for name, cx in self.cx.items():
            for position, record in enumerate(cx.ascending()):
                keyed.append((cx_created(record), name, position, record["dr_sid"], record))
        kept = [
            key
            for key in keyed
            if WINDOW_START <= key[0] < WINDOW_END
            and (keep is None or keep(key[1], key[4], key[0]))
        ]
        kept.sort(key=lambda key: key[:3], reverse=descending)
        return [(key[1], key[3]) for key in kept]

    def refusals(self) -> dict[str, list[Any]]:
        """Every request any fake refused, by account; a clean run has none."""
        fakes: dict[str, Any] = {**self.dfs, **self.cx}
        return {name: fake.refusals for name, fake in fakes.items() if fake.refusals}

    async def close(self) -> None:
        if self.http is not None:
            await self.http.close()
        for runner in reversed(self.runners):
            await runner.cleanup()


async def deploy(
    sizes: dict[str, int] | None = None, extra_providers: list[dict[str, Any]] | None = None
) -> Contract:
    """Starts one fake per account, then the gateway with one provider entry per account
    (plus `extra_providers`, which may point at the same fakes through `bases`)."""
    sizes = SIZES | (sizes or {})
    contract = Contract({}, {}, {})
    providers: list[dict[str, Any]] = []
    for seed, (name, zone) in enumerate(DFS_ZONES.items(), start=100):
        key, token = dfs_credentials(name)
        rows = didforsale_rows(name, sizes[name], seed)
        contract.dfs[name] = DidForSaleFake(rows, api_key=key, token=token, seed=seed)
        runner, root = await serve(contract.dfs[name].app())
        contract.runners.append(runner)
        contract.bases[name] = root + DidForSaleFake.BASE_PATH
        providers.append(
            {
                "name": name,
                "kind": "didforsale",
                "base_url": contract.bases[name],
                "api_key": key,
                "token": token,
                "timezone": zone,
                "timeout_seconds": 5,
            }
        )
    for seed, name in enumerate(CX_ACCOUNTS, start=200):
        records = carrierx_records(name, sizes[name], seed)
        contract.cx[name] = CarrierXFake(records, tokens=CX_TOKENS)
        runner, root = await serve(contract.cx[name].app())
        contract.runners.append(runner)
        contract.bases[name] = root + CarrierXFake.BASE_PATH
        providers.append(
            {
                "name": name,
                "kind": "carrierx",
                "base_url": contract.bases[name],
                "token": CX_MANAGE,
                "timeout_seconds": 5,
            }
        )
    for extra in extra_providers or []:
        providers.append({**extra, "base_url": contract.bases[extra["base_url"]]})
    settings = parse_settings(
        {
            "server": {"default_page_size": 20, "max_page_size": 100},
            "security": {"cursor_secret": SECRET},
            "cache": {"ttl_seconds": 0},  # every page reaches the fakes
            "providers": providers,
        },
        environ={},
    )
    runner, contract.gateway_url = await serve(await create_app(settings))
    contract.runners.append(runner)
    contract.http = aiohttp.ClientSession()
    return contract
