"""Simulators on loopback with fixed datasets, and a client session to talk to them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from gateway.simulators.carrierx import CARRIERX_BASE_PATH
from gateway.simulators.dataset import generate_didforsale_rows
from gateway.simulators.didforsale import DIDFORSALE_BASE_PATH, create_didforsale_app

from .support import DFS_KEY, DFS_TOKEN, NOW, Served, carrierx_app, cx_served, served_at


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture(scope="session")
async def dfs() -> AsyncIterator[Served]:
    rows = generate_didforsale_rows(1234, seed=3, now=NOW)
    app = create_didforsale_app(rows, api_key=DFS_KEY, token=DFS_TOKEN)
    async with served_at(app, DIDFORSALE_BASE_PATH) as served:
        yield served


@pytest.fixture(scope="session")
async def cx() -> AsyncIterator[Served]:
    """Read-only use: tests that change records start their own simulator (`cx_fresh`)."""
    async with served_at(carrierx_app(), CARRIERX_BASE_PATH) as served:
        yield served


@pytest.fixture
async def cx_fresh() -> AsyncIterator[Served]:
    async with cx_served() as served:
        yield served
