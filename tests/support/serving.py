"""Serving an aiohttp application on loopback, the one way every test and benchmark does it;
and running `sms-gateway serve` as a user does, for what only a process of its own shows."""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import sys
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

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


URL_LINE = re.compile(r"^sms-gateway: GraphQL on (http://127\.0\.0\.1:\d+)/graphql$")
STARTUP_SECONDS = 60


@asynccontextmanager
async def _python_process(
    arguments: Sequence[str], log: list[str], env: Mapping[str, str] | None = None
) -> AsyncIterator[asyncio.StreamReader]:
    """This Python with `arguments` in a process of its own: yields its stdout and appends
    each line it writes on stderr to `log`. Stopped with SIGTERM, its stderr read to the end,
    when the block ends."""
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, *arguments),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    assert process.stdout is not None and process.stderr is not None
    stderr = process.stderr

    async def read_log() -> None:
        while line := await stderr.readline():
            log.append(line.decode().rstrip("\n"))

    reader = asyncio.create_task(read_log())
    try:
        yield process.stdout
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), STARTUP_SECONDS)
        await reader


@asynccontextmanager
async def serve_command(config: Path, log: list[str]) -> AsyncIterator[str]:
    """`sms-gateway serve --config` in a process of its own, on a port of the system's
    choice: yields its root URL once it prints it, and appends each line it writes on stderr
    to `log`. Stopped with SIGTERM, its stderr read to the end, when the block ends."""
    arguments = ("-m", "gateway", "serve", "--config", str(config), "--port", "0")
    async with _python_process(arguments, log) as stdout:
        line = (await asyncio.wait_for(stdout.readline(), STARTUP_SECONDS)).decode()
        matched = URL_LINE.match(line.strip())
        assert matched, (line, log)
        yield matched.group(1)


@asynccontextmanager
async def demo_command(
    log: list[str],
    *,
    launcher: Sequence[str] = ("-m", "gateway"),
    env: Mapping[str, str] | None = None,
) -> AsyncIterator[tuple[str, str]]:
    """`sms-gateway demo` in a process of its own on a free port, the command line run as
    `python LAUNCHER demo`: yields its root URL and all it printed up to the line that says
    Ctrl-C stops it, and appends each line it writes on stderr to `log`. Stopped with
    SIGTERM when the block ends."""
    port = unused_port()
    async with _python_process((*launcher, "demo", "--port", str(port)), log, env) as stdout:
        printed = ""
        while "Ctrl-C" not in printed:
            line = await asyncio.wait_for(stdout.readline(), STARTUP_SECONDS)
            assert line, (printed, log)
            printed += line.decode()
        yield f"http://127.0.0.1:{port}", printed
