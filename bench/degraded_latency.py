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

from stack import Simulated, control, deploy, upstream_requests

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


async def page_seconds(stack: Simulated, pages: int) -> list[float]:
    times = []
    for _ in range(pages):
        started = time.perf_counter()
        body = await stack.gql(QUERY)
        times.append(time.perf_counter() - started)
        assert len(body["data"]["smsRecords"]["nodes"]) == 20, body
    return times


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=20)
    args = parser.parse_args()
    stack = await deploy(4000, cache_ttl=0, policy=POLICY)
    try:
        healthy = statistics.median(await page_seconds(stack, args.pages))
        await control(stack, "cx", "faults", {"status": None, "delay": 3, "times": 100_000})
        stalled = statistics.median(await page_seconds(stack, BREAKER_FAILURES))
        asked = await upstream_requests(stack, "cx")
        opened = statistics.median(await page_seconds(stack, args.pages))
        assert await upstream_requests(stack, "cx") == asked, "an open breaker asks nothing"
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
