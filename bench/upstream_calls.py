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
from typing import Any

from stack import BACKWARD, FORWARD, deploy, upstream_requests, walk

SHAPES = [
    ("first/after", "CREATED_AT_DESC"),
    ("first/after", "CREATED_AT_ASC"),
    ("last/before", "CREATED_AT_DESC"),
    ("last/before", "CREATED_AT_ASC"),
]


async def run_shape(records: int, size: int, shape: str, order: str) -> dict[str, Any]:
    """One walk on fresh simulators and a fresh gateway, so the cache starts empty."""
    stack = await deploy(records, cache_ttl=3600)
    try:
        direction = FORWARD if shape == "first/after" else BACKWARD
        started = time.perf_counter()
        done = await walk(stack.gql, direction, size, strict=False, order=order)
        elapsed = time.perf_counter() - started
        dfs_calls = await upstream_requests(stack, "dfs")
        cx_calls = await upstream_requests(stack, "cx")
    finally:
        await stack.close()
    pages = len(done.pages)
    assert len(done.records) == records, (len(done.records), records)
    dfs_least = math.ceil(records // 2 / 500)
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
