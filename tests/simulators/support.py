"""Shared constants and helpers of the simulator tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web

from gateway.simulators.carrierx import CARRIERX_BASE_PATH, create_carrierx_app
from gateway.simulators.dataset import generate_carrierx_records
from gateway.simulators.runner import start_simulator

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
DFS_KEY, DFS_TOKEN = "key-1", "token-1"
CX_TOKENS: dict[str, set[str]] = {
    "manage": {"sms.manage"},
    "read": {"sms.read"},
    "update": {"sms.update"},
    "descendant": {"sms.read", "sms.read_descendant"},
    "nothing": set(),
}


@dataclass
class Served:
    """A running simulator: its app (for the app keys), site root and provider base URL."""

    app: web.Application
    root: str
    base: str


async def serve(app: web.Application, base_path: str) -> tuple[web.AppRunner, Served]:
    runner, root = await start_simulator(app)
    return runner, Served(app, root, root + base_path)


def carrierx_app(count: int = 600, seed: int = 5, **kwargs: Any) -> web.Application:
    records = generate_carrierx_records(count, seed=seed, now=NOW)
    return create_carrierx_app(records, tokens=CX_TOKENS, **kwargs)


async def cx_serve(count: int = 50, **kwargs: Any) -> tuple[web.AppRunner, Served]:
    return await serve(carrierx_app(count, **kwargs), CARRIERX_BASE_PATH)


def bearer(token: str = "manage") -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def cx_get(
    http: aiohttp.ClientSession, url: str, token: str = "manage", **params: str
) -> tuple[int, dict[str, Any]]:
    async with http.get(url, params=params, headers=bearer(token)) as response:
        return response.status, await response.json()


async def cx_ok(
    http: aiohttp.ClientSession, url: str, token: str = "manage", **params: str
) -> dict[str, Any]:
    status, body = await cx_get(http, url, token, **params)
    assert status == 200, body
    return body
