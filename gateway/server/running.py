"""Running the gateway in this process: its event loop, its listening socket, its stop.

The loop is uvloop's when uvloop is installed (it is a dependency wherever it builds), else
asyncio's own; the log line that says the gateway listens names it. A stop (SIGTERM, or
Ctrl-C) closes the listener at once and lets requests in flight finish before the
application closes its clients.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Callable, Coroutine, Iterable
from importlib import metadata
from multiprocessing.connection import Connection

from aiohttp import web

log = logging.getLogger(__name__)

LoopFactory = Callable[[], asyncio.AbstractEventLoop]


def event_loop() -> LoopFactory | None:
    """uvloop's loop factory when uvloop is installed; None (asyncio's own) otherwise."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def running_loop() -> str:
    """Which event loop runs this code, for the log."""
    module = type(asyncio.get_running_loop()).__module__.partition(".")[0]
    return f"uvloop {metadata.version('uvloop')}" if module == "uvloop" else module


def run(program: Coroutine[None, None, None], host: str, port: int) -> int:
    """Runs `program` on the event loop until it ends (it stops on a signal); a port that
    cannot be bound is one line on stderr and status 1, not a traceback."""
    try:
        with asyncio.Runner(loop_factory=event_loop()) as runner:
            runner.run(program)
    except OSError as exc:
        print(cannot_listen(host, port, exc), file=sys.stderr)
        return 1
    return 0


def cannot_listen(host: str, port: int, exc: OSError) -> str:
    reason = os.strerror(exc.errno) if exc.errno else str(exc)
    return f"sms-gateway: cannot listen on {host}:{port}: {reason}"


async def until_stopped(
    signals: Iterable[signal.Signals] = (signal.SIGINT, signal.SIGTERM),
    *,
    gone: Connection | None = None,
) -> None:
    """Returns once one of `signals` arrives, or once the other end of `gone` (a pipe no
    one writes to) has closed."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in signals:
        loop.add_signal_handler(signum, stop.set)
    if gone is not None:
        loop.add_reader(gone.fileno(), stop.set)
    try:
        await stop.wait()
    finally:
        if gone is not None:
            loop.remove_reader(gone.fileno())


async def listen(
    app: web.Application, host: str, port: int, grace: float, *, reuse_port: bool = False
) -> web.AppRunner:
    """Serves `app`; the runner's cleanup stops accepting at once, then gives requests in
    flight up to `grace` seconds before the app's own cleanup closes its client session.
    `reuse_port` lets several processes listen on one port, the kernel spreading the
    connections among them. aiohttp's access log is off: every request has its own line,
    with its id (`request_log`)."""
    runner = web.AppRunner(app, shutdown_timeout=grace, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port, reuse_port=reuse_port or None).start()
    except OSError:
        await runner.cleanup()
        raise
    log.info("listening on %s:%d (event loop: %s)", host, bound_port(runner), running_loop())
    return runner


def bound_port(runner: web.AppRunner) -> int:
    """The port a runner listens on: the one asked for, or the one the system chose for 0."""
    return int(runner.addresses[0][1])
