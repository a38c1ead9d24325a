"""Waiting for what a test can see, rather than for fixed times a loaded machine overruns."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 10) -> None:
    """Returns once `check()` holds; fails if it still does not after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await check():
        assert loop.time() < deadline, f"still not so after {timeout:g}s"
        await asyncio.sleep(0.02)
