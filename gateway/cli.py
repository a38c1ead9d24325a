"""`sms-gateway`: demo, serve, simulate, export-schema."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import secrets
import sys
from pathlib import Path

from aiohttp import web

from gateway.config import Settings, load_settings, parse_settings
from gateway.errors import ConfigError

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

    commands.add_parser("export-schema", help="print the GraphQL schema (SDL)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.command == "export-schema":
        from gateway.schema import export_sdl

        sys.stdout.write(export_sdl())
        return 0
    if args.command == "simulate":
        from gateway.simulators.runner import run_simulator

        run_simulator(
            args.kind,
            host=args.host,
            port=args.port,
            records=args.records,
            seed=args.seed,
            timezone=args.timezone,
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
        from gateway.server import create_app

        web.run_app(create_app(settings), host=host, port=port, print=None)
        return 0
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_demo(args.host, args.port))
    return 0


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


DEMO_TIMEZONE = "America/Chicago"


async def _demo(host: str, port: int) -> None:
    from gateway.server import create_app
    from gateway.simulators.runner import start_demo_simulators

    simulators = await start_demo_simulators(timezone=DEMO_TIMEZONE)
    settings = demo_settings(simulators.didforsale_url, simulators.carrierx_url, port)
    runner = web.AppRunner(await create_app(settings))
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    print(f"GraphiQL: http://{host}:{port}/graphql")
    print("Try this query:")
    print(EXAMPLE_QUERY)
    print("Ctrl-C stops the demo.", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
        await simulators.close()
