"""Upstream calls per walk, divided by the least any gateway could make.

A 20k-record dataset (10k DIDforSale rows in America/Chicago, 10k CarrierX records), walked
whole through the gateway in every shape: forward and backward, both orders. The least is
ceil(N / 500) for DIDforSale (its pages hold 500 rows) and one call per GraphQL page for
CarrierX (each page needs the next records after its cursor). Counts come from the
simulators, so they are deterministic for a given seed.

    .venv/bin/python bench/upstream_calls.py [--records 20000] [--page-size 20]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web

from gateway.config import parse_settings
from gateway.server import create_app
from gateway.simulators.carrierx import CARRIERX_BASE_PATH, create_carrierx_app
from gateway.simulators.dataset import generate_carrierx_records, generate_didforsale_rows
from gateway.simulators.didforsale import DIDFORSALE_BASE_PATH, create_didforsale_app

ZONE = "America/Chicago"
PAGE = """
query Page($first: Int, $after: String, $last: Int, $before: String, $order: SmsRecordOrder!) {
  smsRecords(first: $first, after: $after, last: $last, before: $before, orderBy: $order) {
    edges { node { id } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""
SHAPES = [
    ("first/after", "CREATED_AT_DESC"),
    ("first/after", "CREATED_AT_ASC"),
    ("last/before", "CREATED_AT_DESC"),
    ("last/before", "CREATED_AT_ASC"),
]


async def start(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}"


async def requests_made(http: aiohttp.ClientSession, root: str) -> int:
    async with http.get(root + "/_simulator/stats") as response:
        return (await response.json())["requests"]


async def walk(
    http: aiohttp.ClientSession, url: str, shape: str, order: str, size: int
) -> tuple[int, int]:
    """(records seen, GraphQL pages) of one whole walk."""
    forward = shape == "first/after"
    cursor, seen, pages = None, 0, 0
    while True:
        variables: dict[str, Any] = {"order": order}
        variables |= (
            {"first": size, "after": cursor} if forward else {"last": size, "before": cursor}
        )
        async with http.post(url, json={"query": PAGE, "variables": variables}) as response:
            body = await response.json()
        connection = body["data"]["smsRecords"]
        seen += len(connection["edges"])
        pages += 1
        info = connection["pageInfo"]
        if not (info["hasNextPage"] if forward else info["hasPreviousPage"]):
            return seen, pages
        cursor = info["endCursor"] if forward else info["startCursor"]


async def run_shape(records: int, size: int, shape: str, order: str) -> dict[str, Any]:
    """One walk on fresh simulators and a fresh gateway, so the cache starts empty."""
    now = datetime.now(UTC)
    half = records // 2
    rows = generate_didforsale_rows(half, seed=1, timezone=ZONE, now=now, days=29)
    items = generate_carrierx_records(records - half, seed=2, now=now, days=29)
    runners = []
    dfs_runner, dfs_root = await start(
        create_didforsale_app(rows, api_key="k", token="t", timezone=ZONE)
    )
    cx_runner, cx_root = await start(create_carrierx_app(items, tokens={"t": {"sms.manage"}}))
    runners += [dfs_runner, cx_runner]
    settings = parse_settings(
        {
            "security": {"cursor_secret": "bench-secret-0123456789"},
            "cache": {"ttl_seconds": 3600},
            "providers": [
                {
                    "name": "dfs",
                    "kind": "didforsale",
                    "base_url": dfs_root + DIDFORSALE_BASE_PATH,
                    "api_key": "k",
                    "token": "t",
                    "timezone": ZONE,
                },
                {
                    "name": "cx",
                    "kind": "carrierx",
                    "base_url": cx_root + CARRIERX_BASE_PATH,
                    "token": "t",
                },
            ],
        },
        environ={},
    )
    gateway_runner, gateway_root = await start(await create_app(settings))
    runners.append(gateway_runner)
    try:
        async with aiohttp.ClientSession() as http:
            started = time.perf_counter()
            seen, pages = await walk(http, gateway_root + "/graphql", shape, order, size)
            elapsed = time.perf_counter() - started
            dfs_calls = await requests_made(http, dfs_root)
            cx_calls = await requests_made(http, cx_root)
    finally:
        for runner in reversed(runners):
            await runner.cleanup()
    assert seen == records, (seen, records)
    dfs_least = math.ceil(half / 500)
    return {
        "shape": f"{shape} {order}",
        "pages": pages,
        "dfs": (dfs_calls, dfs_least),
        "cx": (cx_calls, pages),
        "seconds": elapsed,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--page-size", type=int, default=20)
    args = parser.parse_args()
    print(f"{args.records} records (half per provider), page size {args.page_size}\n")
    print(
        "| walk | GraphQL pages | DIDforSale calls / least | ratio "
        "| CarrierX calls / least | ratio |"
    )
    print("|---|---|---|---|---|---|")
    for shape, order in SHAPES:
        row = await run_shape(args.records, args.page_size, shape, order)
        (dfs_calls, dfs_least), (cx_calls, cx_least) = row["dfs"], row["cx"]
        print(
            f"| {row['shape']} | {row['pages']} | {dfs_calls} / {dfs_least} | "
            f"{dfs_calls / dfs_least:.2f} | {cx_calls} / {cx_least} | {cx_calls / cx_least:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    asyncio.run(main())
