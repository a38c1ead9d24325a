"""`sms-gateway`: demo, serve, simulate, export-schema, new-token."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shlex
import sys
from pathlib import Path

from gateway.config import Settings, load_settings, parse_settings
from gateway.errors import ConfigError
from gateway.logs import configure_logging
from gateway.server.running import bound_port, listen, run, until_stopped

DEMO_TIMEZONE = "America/Chicago"
EXAMPLE_QUERY = """{
  smsRecords(first: 5) {
    edges { cursor node { id provider { name } createdAt from to status body price } }
    pageInfo { hasNextPage endCursor }
    providerStatus { provider ok }
  }
}"""


SHELL_QUERY = "{ smsRecords(first: 3) { nodes { id provider { name } createdAt from to status } } }"


def _curl_command(url: str, query: str) -> str:
    """A command that posts `query`, ready to paste into a POSIX shell."""
    body = json.dumps({"query": query})
    return f"curl -s {shlex.quote(url)} -H 'Content-Type: application/json' -d {shlex.quote(body)}"


def parser() -> argparse.ArgumentParser:
    """The command line, every subcommand with its options."""
    line = argparse.ArgumentParser(
        prog="sms-gateway", description="One GraphQL API over the SMS records of several providers."
    )
    commands = line.add_subparsers(dest="command", required=True)

    demo = commands.add_parser("demo", help="run on built-in provider simulators, no config")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8000)

    serve = commands.add_parser("serve", help="run with real provider accounts from a config file")
    serve.add_argument("--config", type=Path, required=True)
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument(
        "--workers",
        type=_workers,
        default=1,
        help="processes serving the port (0: one per core; default 1)",
    )

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

    export = commands.add_parser("export-schema", help="print the GraphQL schema (SDL)")
    export.add_argument(
        "--federation",
        action="store_true",
        help="print it as the Apollo Federation 2 subgraph that [server] federation serves",
    )
    commands.add_parser(
        "new-token",
        help="print a fresh client token, then the token_sha256 line for its [[clients]] entry",
    )
    return line


def _share(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 1")
    return value


def _workers(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative")
    return value or cores()


def cores() -> int:
    """The cores this process may run on (its CPU affinity, which containers narrow)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _seconds(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative")
    return value


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    configure_logging("text")
    if args.command == "export-schema":
        from gateway.schema import export_sdl

        sys.stdout.write(export_sdl(federation=args.federation))
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
        configure_logging(settings.server.log_format)
        host = args.host or settings.server.host
        port = args.port if args.port is not None else settings.server.port
        if args.workers > 1:
            return _serve_workers(settings, host, port, args.workers)
        return run(_serve(settings, host, port), host, port)
    return run(_demo(args.host, args.port), args.host, args.port)


def _serve_workers(settings: Settings, host: str, port: int, workers: int) -> int:
    from gateway.server.workers import reuse_port_supported, serve_workers

    if not reuse_port_supported():
        print("sms-gateway: --workers needs SO_REUSEPORT, which this system lacks", file=sys.stderr)
        return 2
    return serve_workers(settings, host, port, workers)


async def _serve(settings: Settings, host: str, port: int) -> None:
    from gateway.server import announce_access, create_app

    app = await create_app(settings)
    runner = await listen(app, host, port, settings.server.shutdown_grace_seconds)
    announce_access(app)
    print(f"sms-gateway: GraphQL on http://{host}:{bound_port(runner)}/graphql", flush=True)
    try:
        await until_stopped()
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
    from gateway.server import announce_access, create_app
    from gateway.simulators.runner import start_demo_simulators

    simulators = await start_demo_simulators(timezone=DEMO_TIMEZONE)
    try:
        settings = demo_settings(simulators.didforsale_url, simulators.carrierx_url, port)
        app = await create_app(settings)
        runner = await listen(app, host, port, settings.server.shutdown_grace_seconds)
        announce_access(app)
        url = f"http://{host}:{bound_port(runner)}/graphql"
        print(f"GraphiQL: {url}")
        print("Try this query:")
        print(EXAMPLE_QUERY)
        print("or, from a shell:")
        print(_curl_command(url, SHELL_QUERY))
        print("Ctrl-C stops the demo.", flush=True)
        try:
            await until_stopped()
        finally:
            await runner.cleanup()
    finally:
        await simulators.close()
