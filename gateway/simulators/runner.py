"""Start a simulator on a socket, in-process (`start_simulator`) or as a command (`run_simulator`).

The demo credentials are fixed so that `sms-gateway demo` and a hand-started simulator agree
without any configuration.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web

from gateway.simulators.carrierx import CARRIERX_BASE_PATH, create_carrierx_app
from gateway.simulators.control import FAULTS
from gateway.simulators.dataset import (
    DEFAULT_SEED,
    generate_carrierx_records,
    generate_didforsale_rows,
)
from gateway.simulators.didforsale import DIDFORSALE_BASE_PATH, create_didforsale_app

__all__ = [
    "CARRIERX_BASE_PATH",
    "DEFAULT_SEED",
    "DEMO_CARRIERX_READ_ONLY_TOKEN",
    "DEMO_CARRIERX_TOKEN",
    "DEMO_CARRIERX_TOKENS",
    "DEMO_DIDFORSALE_API_KEY",
    "DEMO_DIDFORSALE_TOKEN",
    "DEMO_RECORDS",
    "DIDFORSALE_BASE_PATH",
    "KINDS",
    "Chaos",
    "DemoSimulators",
    "create_demo_app",
    "run_simulator",
    "start_demo_simulators",
    "start_simulator",
]

KINDS = ("didforsale", "carrierx")
DEMO_RECORDS = 3000

DEMO_DIDFORSALE_API_KEY = "demo-key"
DEMO_DIDFORSALE_TOKEN = "demo-token"
DEMO_CARRIERX_TOKEN = "demo-token"
DEMO_CARRIERX_READ_ONLY_TOKEN = "read-only-token"
DEMO_CARRIERX_TOKENS: dict[str, frozenset[str]] = {
    DEMO_CARRIERX_TOKEN: frozenset({"sms.manage"}),
    DEMO_CARRIERX_READ_ONLY_TOKEN: frozenset({"sms.read"}),
}


def create_demo_app(
    kind: str,
    *,
    records: int,
    seed: int = DEFAULT_SEED,
    timezone: str = "UTC",
    now: datetime | None = None,
) -> web.Application:
    """A simulator of `kind` with a generated dataset and the demo credentials.

    `timezone` is the DIDforSale account's zone; CarrierX dates are always UTC.
    """
    if kind == "didforsale":
        rows = generate_didforsale_rows(records, seed, timezone, now)
        return create_didforsale_app(
            rows,
            api_key=DEMO_DIDFORSALE_API_KEY,
            token=DEMO_DIDFORSALE_TOKEN,
            timezone=timezone,
        )
    if kind == "carrierx":
        return create_carrierx_app(
            generate_carrierx_records(records, seed, now), tokens=DEMO_CARRIERX_TOKENS
        )
    raise ValueError(f"unknown simulator kind {kind!r}; expected one of {', '.join(KINDS)}")


async def start_simulator(
    app: web.Application, host: str = "127.0.0.1", port: int = 0
) -> tuple[web.AppRunner, str]:
    """Serve `app` and return its runner and site root, e.g. `http://127.0.0.1:54321`.

    Port 0 picks a free port. Append `DIDFORSALE_BASE_PATH` or `CARRIERX_BASE_PATH` for a
    provider base URL; call `runner.cleanup()` to stop.
    """
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    bound_host, bound_port = runner.addresses[0][:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    return runner, f"http://{shown}:{bound_port}"


@dataclass(frozen=True, slots=True)
class DemoSimulators:
    """Both simulators serving demo data; the URLs are provider base URLs for the config."""

    didforsale_url: str
    carrierx_url: str
    runners: tuple[web.AppRunner, ...]

    async def close(self) -> None:
        for runner in self.runners:
            await runner.cleanup()


async def start_demo_simulators(
    *,
    timezone: str = "UTC",
    host: str = "127.0.0.1",
    records: int = DEMO_RECORDS,
    seed: int = DEFAULT_SEED,
) -> DemoSimulators:
    """Start both simulators on free ports of `host` with the demo data and credentials."""
    dfs_runner, dfs_root = await start_simulator(
        create_demo_app("didforsale", records=records, seed=seed, timezone=timezone), host
    )
    cx_runner, cx_root = await start_simulator(
        create_demo_app("carrierx", records=records, seed=seed), host
    )
    return DemoSimulators(
        dfs_root + DIDFORSALE_BASE_PATH, cx_root + CARRIERX_BASE_PATH, (dfs_runner, cx_runner)
    )


@dataclass(frozen=True, slots=True)
class Chaos:
    """Misbehaviour from the start: `latency` seconds on every reply, `rate` of them faulted."""

    rate: float = 0.0
    seed: int = 0
    latency: float = 0.0


def run_simulator(
    kind: str,
    *,
    host: str,
    port: int,
    records: int,
    seed: int,
    timezone: str,
    chaos: Chaos = Chaos(),
) -> None:
    """Generate a dataset, serve it, print where and with which credentials; stop on Ctrl-C
    or SIGTERM (handled here, so that it works even where the shell ignores SIGINT)."""
    app = create_demo_app(kind, records=records, seed=seed, timezone=timezone)
    app[FAULTS].chaos(chaos.rate, chaos.seed, latency=chaos.latency)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(kind, app, host, port, records, timezone))


async def _serve(
    kind: str, app: web.Application, host: str, port: int, records: int, timezone: str
) -> None:
    runner, root = await start_simulator(app, host, port)
    try:
        if kind == "didforsale":
            print(
                f"DIDforSale simulator: {root}{DIDFORSALE_BASE_PATH} ({records} records, "
                f"zone {timezone}); api key {DEMO_DIDFORSALE_API_KEY!r}, "
                f"token {DEMO_DIDFORSALE_TOKEN!r}",
                flush=True,
            )
        else:
            print(
                f"CarrierX simulator: {root}{CARRIERX_BASE_PATH} ({records} records); "
                f"token {DEMO_CARRIERX_TOKEN!r} (sms.manage), "
                f"token {DEMO_CARRIERX_READ_ONLY_TOKEN!r} (sms.read)",
                flush=True,
            )
        stop = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(signum, stop.set)
        await stop.wait()
    finally:
        await runner.cleanup()
