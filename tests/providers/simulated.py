"""Simulators on loopback with fixed datasets, and adapters pointed at them."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web

from gateway.config import CarrierXSettings, DidForSaleSettings
from gateway.providers.base import Boundary, ProviderAdapter, StreamQuery
from gateway.providers.carrierx import CarrierXAdapter
from gateway.providers.didforsale import DidForSaleAdapter
from gateway.records import Order, RecordFilter, SmsRecord, TimeWindow
from gateway.simulators.carrierx import CARRIERX_RECORDS, create_carrierx_app
from gateway.simulators.control import FAULTS, Fault
from gateway.simulators.dataset import DidForSaleRow
from gateway.simulators.didforsale import DIDFORSALE_ROWS, create_didforsale_app
from gateway.simulators.runner import CARRIERX_BASE_PATH, DIDFORSALE_BASE_PATH
from tests.support.serving import serving

NOW = datetime(2024, 11, 20, tzinfo=UTC)
"""The 30 days before hold the US fall-back of 2024-11-03."""
WINDOW = TimeWindow(NOW - timedelta(days=31), NOW)
FAST_RETRY = {
    "retry_backoff_seconds": 0.001,
    "retry_backoff_max_seconds": 0.01,
    "retry_after_max_seconds": 0.2,
}
DFS_KEY, DFS_TOKEN = "dfs-key-secret", "dfs-token-secret"
CX_TOKEN, CX_READ_TOKEN, CX_NO_SCOPE_TOKEN = "cx-token-secret", "cx-read-secret", "cx-none-secret"
CX_TOKENS = {
    CX_TOKEN: {"sms.manage"},
    CX_READ_TOKEN: {"sms.read"},
    CX_NO_SCOPE_TOKEN: {"calls.read"},
}


@dataclass
class Simulated:
    """One running simulator and an adapter of one account on it."""

    app: web.Application
    base_url: str
    adapter: Any

    def inject(self, times: int = 1, **fault: Any) -> None:
        self.app[FAULTS].inject(Fault(**fault), times)

    @property
    def faults_left(self) -> int:
        return len(self.app[FAULTS])


def dfs_settings(base_url: str, **overrides: Any) -> DidForSaleSettings:
    values = {
        "name": "dfs",
        "kind": "didforsale",
        "base_url": base_url,
        "api_key": DFS_KEY,
        "token": DFS_TOKEN,
        "timezone": "America/Chicago",
        "timeout_seconds": 2,
        **FAST_RETRY,
    }
    return DidForSaleSettings(**(values | overrides))


def cx_settings(base_url: str, **overrides: Any) -> CarrierXSettings:
    values = {
        "name": "cx",
        "kind": "carrierx",
        "base_url": base_url,
        "token": CX_TOKEN,
        "timeout_seconds": 2,
        **FAST_RETRY,
    }
    return CarrierXSettings(**(values | overrides))


@asynccontextmanager
async def didforsale(
    rows: Iterable[DidForSaleRow],
    session: aiohttp.ClientSession,
    *,
    timezone: str = "America/Chicago",
    **overrides: Any,
) -> AsyncIterator[Simulated]:
    app = create_didforsale_app(rows, api_key=DFS_KEY, token=DFS_TOKEN, timezone=timezone)
    async with serving(app) as root:
        base = root + DIDFORSALE_BASE_PATH
        settings = dfs_settings(base, timezone=timezone, **overrides)
        yield Simulated(app, base, DidForSaleAdapter(settings, session))


@asynccontextmanager
async def carrierx(
    records: Iterable[dict[str, Any]], session: aiohttp.ClientSession, **overrides: Any
) -> AsyncIterator[Simulated]:
    app = create_carrierx_app(records, tokens=CX_TOKENS)
    async with serving(app) as root:
        base = root + CARRIERX_BASE_PATH
        adapter = CarrierXAdapter(cx_settings(base, **overrides), session)
        yield Simulated(app, base, adapter)


def dfs_listing(app: web.Application) -> list[str]:
    """uuids in the order the DIDforSale simulator lists them."""
    return [row.uuid for row in app[DIDFORSALE_ROWS]]


def cx_listing(app: web.Application) -> list[str]:
    """dr_sids in the CarrierX simulator's ascending order."""
    return [record["dr_sid"] for record in app[CARRIERX_RECORDS]]


def odd_dfs_row(rows: list[DidForSaleRow], index: int) -> DidForSaleRow:
    """A row with values outside the documented sets, tied in time with `rows[index]`."""
    return replace(
        rows[index],
        row_id=max(row.row_id for row in rows) + 1,
        uuid="9999999999999",
        status="Pending-Review",
        direction="sideways",
    )


def odd_cx_record(records: list[dict[str, Any]], index: int) -> dict[str, Any]:
    """A record with an unknown status, direction and type, tied with `records[index]`."""
    return records[index] | {
        "dr_sid": "00000000-0000-4000-8000-000000000001",
        "status": "carrier_rejected",
        "direction": "sideways",
        "type": "fax",
        "media_urls": [],
        "number_group_dst": [],
    }


def query(
    order: Order,
    limit: int = 100_000,
    *,
    after: Boundary | None = None,
    narrowing: RecordFilter | None = None,
    window: TimeWindow = WINDOW,
) -> StreamQuery:
    return StreamQuery(order, window, narrowing or RecordFilter(), after, limit)


async def walk(
    adapter: ProviderAdapter,
    order: Order,
    page: int,
    *,
    narrowing: RecordFilter | None = None,
    window: TimeWindow = WINDOW,
) -> list[list[SmsRecord]]:
    """Pages of a whole stream, each resumed from the last record of the one before."""
    pages: list[list[SmsRecord]] = []
    after: Boundary | None = None
    while True:
        stream = await adapter.stream(
            query(order, page, after=after, narrowing=narrowing, window=window)
        )
        got = stream.records
        pages.append(got)
        if len(got) < page:
            return pages
        after = Boundary.of(got[-1])


def first_tie(records: list[SmsRecord]) -> SmsRecord:
    """The first record created at the same instant as the one after it."""
    return next(r for r, s in itertools.pairwise(records) if r.created_at == s.created_at)


def ties_split(pages: list[list[SmsRecord]]) -> int:
    """How many page breaks fall between two records created at the same instant."""
    return sum(
        1
        for before, after in itertools.pairwise(pages)
        if before and after and before[-1].created_at == after[0].created_at
    )


def recording_session() -> tuple[aiohttp.ClientSession, list[Any]]:
    """A session that remembers the URL of every request it sends."""
    urls: list[Any] = []
    trace = aiohttp.TraceConfig()

    async def remember(
        session: aiohttp.ClientSession, context: Any, params: aiohttp.TraceRequestStartParams
    ) -> None:
        urls.append(params.url)

    trace.on_request_start.append(remember)
    return aiohttp.ClientSession(trace_configs=[trace]), urls
