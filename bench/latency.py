"""Latency the gateway adds to a page: one client at a time, the provider at a fixed 20 ms.

The page is peer.py's: the first 50 records (seven fields) of one CarrierX account, from a
CarrierX simulator process that waits `--latency` before every reply. One client asks it
over and over through the gateway (`sms-gateway serve`, its own process) for `--seconds`,
with the page cache turned off (`ttl_seconds = 0`, every page calls the provider) and at its
default; `wrk` is the client. The same listing is also read from the simulator directly
(`GET /sms/message_drs?limit=50&order=date_insert desc`), so the figures are printed both
minus the fixed latency and minus the direct read's own time.

    .venv/bin/python bench/latency.py [--seconds 15] [--latency 0.02] [--workers 1]
"""

from __future__ import annotations

import argparse
from urllib.parse import urlencode

from loopback import DEMO_CARRIERX_TOKEN, gateway, gateway_config, machine, simulator
from peer import OUR_QUERY, PAGE_SIZE, Server, checked_page, our_ids
from wrk_runner import Load, get_load, post_load


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15, help="each run's length")
    parser.add_argument("--latency", type=float, default=0.02, help="the simulator's, seconds")
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    print(machine(), flush=True)
    fixed_ms = args.latency * 1000
    page = {"query": OUR_QUERY, "variables": {"first": PAGE_SIZE}}

    with simulator("carrierx", args.records, args.seed) as cx:
        cx.set_latency(args.latency)
        listing = (
            cx.base_url
            + "/sms/message_drs?"
            + urlencode({"limit": PAGE_SIZE, "order": "date_insert desc"})
        )
        bearer = f"Bearer {DEMO_CARRIERX_TOKEN}"
        get_load(listing, bearer, connections=1, seconds=2)
        runs: dict[str, Load] = {
            "simulator, read directly": get_load(
                listing, bearer, connections=1, seconds=args.seconds
            )
        }
        for name, ttl in (("gateway, ttl 0", 0.0), ("gateway, default cache", None)):
            config = gateway_config([cx.provider_entry("cx")], cache_ttl=ttl)
            with gateway(config, workers=args.workers) as ours:
                checked_page(Server(name, ours.url, page, our_ids))
                post_load(ours.url, page, connections=1, seconds=2)
                runs[name] = post_load(ours.url, page, connections=1, seconds=args.seconds)

    direct = runs["simulator, read directly"]
    print(
        f"one client; the simulator waits {fixed_ms:.0f} ms a call; a page of {PAGE_SIZE} "
        f"CarrierX records, 7 fields; {args.seconds:g} s a run\n"
    )
    print(
        f"| path | requests | p50 ms | p99 ms | p50 - {fixed_ms:.0f} ms | p99 - {fixed_ms:.0f} ms "
        "| p50 - direct p50 | p99 - direct p99 | errors |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, load in runs.items():
        print(
            f"| {name} | {load.requests} | {load.p50_ms:.1f} | {load.p99_ms:.1f} "
            f"| {load.p50_ms - fixed_ms:.1f} | {load.p99_ms - fixed_ms:.1f} "
            f"| {load.p50_ms - direct.p50_ms:.1f} | {load.p99_ms - direct.p99_ms:.1f} "
            f"| {load.errors} |"
        )


if __name__ == "__main__":
    main()
