"""Page latency while one provider is stalled, before and after its breaker opens.

Both simulators hold 2,000 records each; the gateway runs with the page cache off, a 0.5 s
timeout, one retry and a breaker that opens after 3 unavailable calls. CarrierX is then made
to stall every request for 3 s. Figures are medians of first pages (`first: 20`), printed
as ratios to the healthy page and to the bound the policy sets, from one run:

    .venv/bin/python bench/degraded_latency.py [--pages 20]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import aiohttp
from stack import deploy

TIMEOUT, RETRIES, BREAKER_FAILURES = 0.5, 1, 3
POLICY = {
    "timeout_seconds": TIMEOUT,
    "retries": RETRIES,
    "retry_backoff_seconds": 0.01,
    "retry_backoff_max_seconds": 0.05,
    "breaker_failures": BREAKER_FAILURES,
    "breaker_cooldown_seconds": 600,
}
QUERY = "{ smsRecords(first: 20) { nodes { id } providerStatus { provider ok } } }"


async def page_seconds(http: aiohttp.ClientSession, url: str, pages: int) -> list[float]:
    times = []
    for _ in range(pages):
        started = time.perf_counter()
        async with http.post(url, json={"query": QUERY}) as response:
            body = await response.json()
        times.append(time.perf_counter() - started)
        assert len(body["data"]["smsRecords"]["nodes"]) == 20, body
    return times


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=20)
    args = parser.parse_args()
    stack = await deploy(4000, cache_ttl=0, policy=POLICY)
    try:
        async with aiohttp.ClientSession() as http:
            healthy = statistics.median(await page_seconds(http, stack.graphql_url, args.pages))
            stall = {"status": None, "delay": 3, "times": 100_000}
            async with http.post(stack.roots["cx"] + "/_simulator/faults", json=stall):
                pass
            stalled = statistics.median(
                await page_seconds(http, stack.graphql_url, BREAKER_FAILURES)
            )
            asked = await stack.requests_made(http, "cx")
            opened = statistics.median(await page_seconds(http, stack.graphql_url, args.pages))
            assert await stack.requests_made(http, "cx") == asked, "an open breaker asks nothing"
    finally:
        await stack.close()
    bound = TIMEOUT * (RETRIES + 1)
    print(f"timeout {TIMEOUT}s, {RETRIES} retry: a stalled provider may cost up to {bound}s\n")
    print("| page | median | ÷ healthy | ÷ policy bound |")
    print("|---|---|---|---|")
    for name, seconds in (
        ("both providers healthy", healthy),
        ("CarrierX stalled, breaker closed", stalled),
        ("CarrierX stalled, breaker open", opened),
    ):
        ratios = f"{seconds / healthy:.2f} | {seconds / bound:.3f}"
        print(f"| {name} | {seconds * 1000:.1f} ms | {ratios} |")


if __name__ == "__main__":
    asyncio.run(main())
