"""`sms-gateway`: demo, serve, simulate, export-schema, new-token."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import signal
import sys
from collections.abc import Coroutine
from pathlib import Path

from aiohttp import web

from gateway.config import Settings, load_settings, parse_settings
from gateway.errors import ConfigError
from gateway.request_ids import RequestIdFilter

DEMO_TIMEZONE = "America/Chicago"
EXAMPLE_QUERY = """{
  smsRecords(first: 5) {
    edges { cursor node { id provider { name } createdAt from to status body price } }
    pageInfo { hasNextPage endCursor }
    providerStatus { provider ok }
  }
}"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sms-gateway", description="One GraphQL API over the SMS records of several providers."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="run on built-in provider simulators, no config")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)

    serve = commands.add_parser("serve", help="run with real provider accounts from a config file")
    serve.add_argument("--config", type=Path, required=True)
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)

    simulate = commands.add_parser("simulate", help="run one provider simulator alone")
    simulate.add_argument("kind", choices=["didforsale", "carrierx"])
    simulate.add_argument("--host", default="127.0.0.1")
    simulate.add_argument("--port", type=int, default=0)
    simulate.add_argument("--records", type=int, default=3000)
    simulate.add_argument("--seed", type=int, default=7)
    simulate.add_argument("--timezone", default="UTC")
    simulate.add_argument(
        "--latency", type=_seconds, default=0.0, help="seconds added to each reply"
    )
    simulate.add_argument(
        "--fault-rate", type=_share, default=0.0, help="share of requests to fault (0 to 1)"
    )
    simulate.add_argument("--fault-seed", type=int, default=0, help="seed of the faults drawn")

    commands.add_parser("export-schema", help="print the GraphQL schema (SDL)")
    commands.add_parser(
        "new-token",
        help="print a fresh client token, then the token_sha256 line for its [[clients]] entry",
    )
    return parser


def _share(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 1")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative")
    return value


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(levelname)s %(name)s [%(request_id)s]: %(message)s"
    )
    for handler in logging.getLogger().handlers:
        handler.addFilter(RequestIdFilter())
    if args.command == "export-schema":
        from gateway.schema import export_sdl

        sys.stdout.write(export_sdl())
        return 0
    if args.command == "new-token":
        from gateway.auth import new_token, token_sha256

        token = new_token()
        print(token)
        print(f'token_sha256 = "{token_sha256(token)}"')
        return 0
    if args.command == "simulate":
        from gateway.simulators.runner import Chaos, run_simulator

        run_simulator(
            args.kind,
            host=args.host,
            port=args.port,
            records=args.records,
            seed=args.seed,
            timezone=args.timezone,
            chaos=Chaos(rate=args.fault_rate, seed=args.fault_seed, latency=args.latency),
        )
        return 0
    if args.command == "serve":
        try:
            settings = load_settings(args.config)
        except ConfigError as exc:
            print(f"sms-gateway: config error: {exc}", file=sys.stderr)
            return 2
        host = args.host or settings.server.host
        port = args.port if args.port is not None else settings.server.port
        return _run(_serve(settings, host, port), host, port)
    return _run(_demo(args.host, args.port), args.host, args.port)


def _run(program: Coroutine[None, None, None], host: str, port: int) -> int:
    """Runs until SIGINT or SIGTERM; a port that cannot be bound is one line, not a traceback."""
    try:
        asyncio.run(program)
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        print(f"sms-gateway: cannot listen on {host}:{port}: {reason}", file=sys.stderr)
        return 1
    return 0


async def _until_stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()


async def _listen(app: web.Application, host: str, port: int, grace: float) -> web.AppRunner:
    """Serves `app`; the runner's cleanup stops accepting at once, then gives requests in
    flight up to `grace` seconds before the app's own cleanup closes its client session."""
    from gateway.server import announce_access

    runner = web.AppRunner(app, shutdown_timeout=grace)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError:
        await runner.cleanup()
        raise
    announce_access(app)
    return runner


async def _serve(settings: Settings, host: str, port: int) -> None:
    from gateway.server import create_app

    grace = settings.server.shutdown_grace_seconds
    runner = await _listen(await create_app(settings), host, port, grace)
    print(f"sms-gateway: GraphQL on http://{host}:{port}/graphql", flush=True)
    try:
        await _until_stopped()
    finally:
        await runner.cleanup()


def demo_settings(didforsale_url: str, carrierx_url: str, port: int) -> Settings:
    """Settings for the embedded simulators: any browser origin may query the demo."""
    from gateway.simulators.runner import (
        DEMO_CARRIERX_TOKEN,
        DEMO_DIDFORSALE_API_KEY,
        DEMO_DIDFORSALE_TOKEN,
    )

    return parse_settings(
        {
            "server": {"port": port, "cors_origins": ["*"]},
            "security": {"cursor_secret": secrets.token_urlsafe(32)},
            "providers": [
                {
                    "name": "carrierx-demo",
                    "kind": "carrierx",
                    "base_url": carrierx_url,
                    "token": DEMO_CARRIERX_TOKEN,
                },
                {
                    "name": "didforsale-demo",
                    "kind": "didforsale",
                    "base_url": didforsale_url,
                    "api_key": DEMO_DIDFORSALE_API_KEY,
                    "token": DEMO_DIDFORSALE_TOKEN,
                    "timezone": DEMO_TIMEZONE,
                },
            ],
        },
        environ={},
    )


async def _demo(host: str, port: int) -> None:
    from gateway.server import create_app
    from gateway.simulators.runner import start_demo_simulators

    simulators = await start_demo_simulators(timezone=DEMO_TIMEZONE)
    try:
        settings = demo_settings(simulators.didforsale_url, simulators.carrierx_url, port)
        grace = settings.server.shutdown_grace_seconds
        runner = await _listen(await create_app(settings), host, port, grace)
        print(f"GraphiQL: http://{host}:{port}/graphql")
        print("Try this query:")
        print(EXAMPLE_QUERY)
        print("Ctrl-C stops the demo.", flush=True)
        try:
            await _until_stopped()
        finally:
            await runner.cleanup()
    finally:
        await simulators.close()
