"""How much of the gateway's own speed reaches a client over HTTP: requests/s of peer.py's
page through `sms-gateway serve` (loaded by `wrk`), divided by requests/s of the same query
executed in-process, `schema.execute` with a context built as the GraphQL view builds it.

Both read the same CarrierX simulator process (no added latency) with the page cache at its
default and warmed before each run, at the same number of requests in flight (`--clients`);
the in-process run drives the schema from as many asyncio tasks in this process, so it
measures the gateway's work without HTTP, JSON encoding or the aiohttp server. Upstream calls
per page are printed for both, to show whether the cache answered.

    .venv/bin/python bench/ceiling.py [--seconds 12] [--clients 8]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from loopback import Simulator, gateway, gateway_config, machine, simulator
from peer import OUR_QUERY, PAGE_SIZE, Server, checked_page, our_ids
from wrk_runner import post_load

from gateway.auth import Authenticator
from gateway.config import parse_settings
from gateway.server import create_app
from gateway.server.graphql_view import CALLER, GatewayGraphQLView

VARIABLES = {"first": PAGE_SIZE}


def graphql_view(app: web.Application) -> GatewayGraphQLView:
    for route in app.router.routes():
        if isinstance(route.handler, GatewayGraphQLView):
            return route.handler
    raise RuntimeError("the application serves no GraphQL view")


async def in_process(config: dict[str, Any], clients: int, seconds: float) -> dict[str, float]:
    """Pages per second from `clients` tasks executing the query until `seconds` pass, after
    one unmeasured page warms the cache."""
    settings = parse_settings(config, environ={})
    app = await create_app(settings)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        view = graphql_view(app)
        request = make_mocked_request("POST", "/graphql", app=app)
        request[CALLER] = await Authenticator.from_settings(settings).authenticate(None)

        async def page() -> None:
            context = await view.get_context(request, web.Response())
            result = await view.schema.execute(
                OUR_QUERY, variable_values=VARIABLES, context_value=context
            )
            assert result.errors is None, result.errors
            assert result.data is not None
            assert len(result.data["smsRecords"]["nodes"]) == PAGE_SIZE

        await page()
        done = 0
        deadline = time.perf_counter() + seconds

        async def client() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                await page()
                done += 1

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        return {"pages": done, "seconds": time.perf_counter() - started}
    finally:
        await runner.cleanup()


def over_http(
    cx: Simulator, config: dict[str, Any], clients: int, seconds: float
) -> dict[str, float]:
    body = {"query": OUR_QUERY, "variables": VARIABLES}
    with gateway(config) as ours:
        checked_page(Server("gateway", ours.url, body, our_ids))
        post_load(ours.url, body, connections=clients, seconds=2)
        calls = cx.requests_served()
        load = post_load(ours.url, body, connections=clients, seconds=seconds)
        calls = cx.requests_served() - calls
    return {"pages": load.requests, "seconds": load.seconds, "calls": calls, "errors": load.errors}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=12, help="each run's length")
    parser.add_argument("--clients", type=int, default=8, help="requests in flight")
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    print(machine(), flush=True)

    with simulator("carrierx", args.records, args.seed) as cx:
        config = gateway_config([cx.provider_entry("cx")])
        http = over_http(cx, config, args.clients, args.seconds)
        calls = cx.requests_served()
        inside = asyncio.run(in_process(config, args.clients, args.seconds))
        inside["calls"] = cx.requests_served() - calls
    http_rps = http["pages"] / http["seconds"]
    inside_rps = inside["pages"] / inside["seconds"]
    print(
        f"a page of {PAGE_SIZE} CarrierX records, 7 fields; default page cache, warmed; "
        f"{args.clients} requests in flight; {args.seconds:g} s a run\n"
    )
    print("| run | pages | rps | ms a page (1 ÷ rps) | upstream calls/page | ÷ in-process |")
    print("|---|---|---|---|---|---|")
    for name, run, rps in (("in-process", inside, inside_rps), ("over HTTP", http, http_rps)):
        print(
            f"| {name} | {run['pages']:.0f} | {rps:.0f} | {1000 / rps:.1f} "
            f"| {run['calls'] / max(1, run['pages']):.2f} | {rps / inside_rps:.2f} |"
        )
    if http["errors"]:
        print(f"\nover HTTP: {http['errors']:.0f} errors")


if __name__ == "__main__":
    main()
