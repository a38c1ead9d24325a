"""Totals against a walk: upstream calls divided by the least, and time divided by a walk's.

A dataset of `--records` (half DIDforSale rows in America/Chicago, half CarrierX records,
over 29 days) is added up by one `smsRecordStats` query (a dashboard's: per account and day),
and, on fresh simulators and gateway, walked whole with pages of `--page-size`, newest first.
The least calls are ceil(N / 500) for DIDforSale and ceil(N / 1000) for CarrierX, the
largest pages of each API. Counts come from the simulators, so they are deterministic.

    .venv/bin/python bench/stats.py [--records 100000] [--page-size 100]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import time
from typing import Any

from stack import FORWARD, deploy, requests_served, walk

TOTALS = """{
  smsRecordStats(groupBy: [PROVIDER, DAY], timeZone: "America/Chicago") {
    total { count segments price unpricedCount }
    buckets { key { provider day } count segments price }
    complete
  }
}"""
PAGE = """query Page($first: Int, $after: String) {
  smsRecords(first: $first, after: $after) {
    nodes { id }
    pageInfo { hasNextPage endCursor }
  }
}"""


async def totals(records: int) -> dict[str, Any]:
    """One totals query on fresh simulators and gateway: its time and each account's calls."""
    stack = await deploy(records, cache_ttl=3600)
    try:
        started = time.perf_counter()
        body = await stack.gql(TOTALS)
        elapsed = time.perf_counter() - started
        calls = await requests_served(stack)
    finally:
        await stack.close()
    assert "errors" not in body, body["errors"]
    result = body["data"]["smsRecordStats"]
    assert result["complete"] and result["total"]["count"] == records, result["total"]
    return {"seconds": elapsed, "calls": calls, "buckets": len(result["buckets"])}


async def walk_whole(records: int, size: int) -> dict[str, Any]:
    """One whole walk on fresh simulators and gateway: its time and its pages."""
    stack = await deploy(records, cache_ttl=3600)
    try:
        started = time.perf_counter()
        done = await walk(stack.gql, FORWARD, size, query=PAGE)
        elapsed = time.perf_counter() - started
    finally:
        await stack.close()
    assert len(done.records) == records, (len(done.records), records)
    return {"seconds": elapsed, "pages": len(done.pages)}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--page-size", type=int, default=100)
    args = parser.parse_args()
    half = args.records // 2
    least = {"dfs": math.ceil(half / 500), "cx": math.ceil((args.records - half) / 1000)}
    print(f"{args.records} records (half per provider)\n", flush=True)

    added = await totals(args.records)
    calls = added["calls"]
    print("| totals | DIDforSale calls / least | ratio | CarrierX calls / least | ratio |")
    print("|---|---|---|---|---|")
    print(
        f"| per account and day ({added['buckets']} buckets) "
        f"| {calls['dfs']} / {least['dfs']} | {calls['dfs'] / least['dfs']:.2f} "
        f"| {calls['cx']} / {least['cx']} | {calls['cx'] / least['cx']:.2f} |\n",
        flush=True,
    )

    walked = await walk_whole(args.records, args.page_size)
    print("| query | time | ÷ walk |")
    print("|---|---|---|")
    print(
        f"| walk, {walked['pages']} pages of {args.page_size}, newest first "
        f"| {walked['seconds']:.2f} s | 1.00 |"
    )
    print(
        f"| totals, one query | {added['seconds']:.2f} s "
        f"| {added['seconds'] / walked['seconds']:.3f} |"
    )


if __name__ == "__main__":
    asyncio.run(main())
