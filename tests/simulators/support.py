"""Shared constants and helpers of the simulator tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web

from gateway.simulators.carrierx import CARRIERX_BASE_PATH, create_carrierx_app
from gateway.simulators.dataset import generate_carrierx_records
from tests.support.serving import serving

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


@asynccontextmanager
async def served_at(app: web.Application, base_path: str) -> AsyncIterator[Served]:
    """Serves a simulator app for as long as the block runs."""
    async with serving(app) as root:
        yield Served(app, root, root + base_path)


def carrierx_app(count: int = 600, seed: int = 5, **kwargs: Any) -> web.Application:
    records = generate_carrierx_records(count, seed=seed, now=NOW)
    return create_carrierx_app(records, tokens=CX_TOKENS, **kwargs)


def cx_served(count: int = 50, **kwargs: Any) -> AbstractAsyncContextManager[Served]:
    """A CarrierX simulator of the test's own, for tests that change its records or faults."""
    return served_at(carrierx_app(count, **kwargs), CARRIERX_BASE_PATH)


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
