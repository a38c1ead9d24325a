"""Serving an aiohttp application on loopback, the one way every test and benchmark does it."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

SHUTDOWN_SECONDS = 1.0
"""How long stopping waits for handlers still running (a stalled simulator reply, say), so
that a test that left one stalled does not hold its teardown for the stall's length."""


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """Serves `app` on a free loopback port; yields its root URL, `http://127.0.0.1:PORT`."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_SECONDS)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


def unused_port() -> int:
    """A loopback port nothing listens on: for a process to bind, or a URL that is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
