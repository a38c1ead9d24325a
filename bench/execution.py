"""What a 50-record page costs the gateway itself, with the page cache warm.

One CarrierX account's first page of 50 records, seven record fields and every edge's
cursor: the service's page alone (`RecordService.page`, what any path pays), then the query
executed in-process through the schema as served (the compiled plan) and through the same
schema with ordinary Strawberry/graphql-core execution, on the same accounts and context;
then over HTTP in a closed loop at concurrency 8. Prints ms per page of each, the ratio of
both paths, rps over HTTP and HTTP ÷ in-process.

    .venv/bin/python bench/execution.py [--records 4000] [--seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import time

from stack import deploy

from gateway import records
from gateway.auth import Caller
from gateway.schema import GatewaySchema, build_schema
from gateway.server.graphql_view import GatewayGraphQLView
from gateway.service import PageRequest

QUERY = """{
  smsRecords(first: 50, filter: {providers: ["cx"]}) {
    edges { cursor node { id createdAt from to status price body } }
    pageInfo { hasNextPage endCursor }
  }
}"""
READ = frozenset(
    {"provider", "node_key", "created_at", "from_number", "to_number", "status", "price", "body"}
)
"""The record attributes the query's fields read."""
CONCURRENCY = 8


async def in_process_ms(view: GatewayGraphQLView, schema: GatewaySchema, seconds: float) -> float:
    """Mean ms per page, one page after another, each with a fresh request context."""
    pages, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        result = await schema.execute(QUERY, context_value=view.context_for(Caller.open()))
        assert not result.errors, result.errors
        pages += 1
    return (time.perf_counter() - started) * 1000 / pages


async def service_ms(view: GatewayGraphQLView, seconds: float) -> float:
    """Mean ms per page of the service alone, the same page the query asks for."""
    request = PageRequest(
        first=50,
        filter=records.RecordFilter(providers=frozenset({"cx"})),
        fields=READ,
    )
    pages, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        await view.context_for(Caller.open()).service.page(request)
        pages += 1
    return (time.perf_counter() - started) * 1000 / pages


async def http_rps(post: object, url: str, seconds: float) -> float:
    """Requests per second over HTTP, `CONCURRENCY` clients each waiting for its answer."""
    done = 0
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            async with post(url, json={"query": QUERY}) as response:  # type: ignore[operator]
                assert response.status == 200
                await response.read()
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(CONCURRENCY)))
    return done / (time.perf_counter() - started)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=4000)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    stack = await deploy(args.records, cache_ttl=3600)
    try:
        view = next(
            route.handler
            for route in stack.apps[0].router.routes()
            if isinstance(route.handler, GatewayGraphQLView)
        )
        served = view.schema
        assert isinstance(served, GatewaySchema)
        ordinary = build_schema(fast_path=False)
        await in_process_ms(view, served, 1.0)
        page_ms = await service_ms(view, args.seconds)
        fast_ms = await in_process_ms(view, served, args.seconds)
        ordinary_ms = await in_process_ms(view, ordinary, args.seconds)
        url = stack.gateway_url + "/graphql"
        await http_rps(stack.http.post, url, 1.0)
        rps = await http_rps(stack.http.post, url, args.seconds)
    finally:
        await stack.close()
    print(f"50-record page, cache warm, {args.records} records (half on `cx`)")
    print(f"service page alone:  {page_ms:6.2f} ms/page")
    print(f"in-process ordinary: {ordinary_ms:6.2f} ms/page")
    print(f"in-process served:   {fast_ms:6.2f} ms/page  ({ordinary_ms / fast_ms:.2f}x faster)")
    print(f"HTTP, concurrency {CONCURRENCY}: {rps:7.1f} rps  ({1000 / rps:.2f} ms/request)")
    print(f"HTTP / in-process:   {rps * fast_ms / 1000:.2f}")


if __name__ == "__main__":
    asyncio.run(main())
