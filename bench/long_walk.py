"""A long walk: 100,000 records, half on a DIDforSale account and half on a CarrierX one,
paged whole through the gateway, against the rate at which the simulators list them raw.

Each simulator (`sms-gateway simulate`) and the gateway (`sms-gateway serve`, page cache at
its default) run as processes of their own. First both simulators are read directly, at
once, with their largest pages (CarrierX `limit=1000` followed by `after=<dr_sid>`,
DIDforSale's 500-row pages followed by `last_record_number`): the raw rate. Then one client
walks the gateway newest first with pages of `--page-size` (`first`/`after`), over a window
that holds every record, while the gateway's resident memory is sampled every half second.
The figures: the walk's records/s ÷ the raw rate, and the memory at the start, the peak and
the end of the walk.

    .venv/bin/python bench/long_walk.py [--records 100000] [--page-size 100] [--workers 1]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from loopback import (
    DEMO_CARRIERX_TOKEN,
    DEMO_DIDFORSALE_API_KEY,
    DEMO_DIDFORSALE_TOKEN,
    RssSampler,
    Simulator,
    gateway,
    gateway_config,
    machine,
    mib,
    simulator,
)

PAGE = """query Page($first: Int!, $after: String, $filter: SmsRecordFilter) {
  smsRecords(first: $first, after: $after, filter: $filter) {
    nodes { id createdAt }
    pageInfo { hasNextPage endCursor }
  }
}"""


async def read_carrierx(http: aiohttp.ClientSession, cx: Simulator) -> int:
    """Every record of the account, 1000 at a time, oldest first."""
    url = cx.base_url + "/sms/message_drs"
    headers = {"Authorization": f"Bearer {DEMO_CARRIERX_TOKEN}"}
    params: dict[str, str] = {"limit": "1000", "order": "date_insert asc"}
    records = 0
    while True:
        async with http.get(url, params=params, headers=headers) as reply:
            page = await reply.json()
        records += len(page["items"])
        if not page["has_more"]:
            return records
        params["after"] = page["items"][-1]["dr_sid"]


async def read_didforsale(http: aiohttp.ClientSession, dfs: Simulator) -> int:
    """Every row of the account, in the API's 500-row pages."""
    url = dfs.base_url + "/SMS/CDR"
    basic = base64.b64encode(f"{DEMO_DIDFORSALE_API_KEY}:{DEMO_DIDFORSALE_TOKEN}".encode())
    headers = {"Authorization": f"Basic {basic.decode()}"}
    body: dict[str, Any] = {"start_date": "2000-01-01", "end_date": "2100-12-31"}
    rows, last = 0, 0
    while True:
        async with http.post(url, json={**body, "last_record_number": last}, headers=headers) as r:
            page = await r.json()
        assert page["status"], page
        rows += len(page["sms_cdr"])
        last = page["last_record_number"]
        if not last:
            return rows


async def raw_rate(dfs: Simulator, cx: Simulator) -> dict[str, float]:
    async with aiohttp.ClientSession() as http:
        started = time.perf_counter()
        dfs_rows, cx_records = await asyncio.gather(
            read_didforsale(http, dfs), read_carrierx(http, cx)
        )
        seconds = time.perf_counter() - started
    return {"records": dfs_rows + cx_records, "seconds": seconds}


async def walk(url: str, size: int, since: str) -> dict[str, float]:
    """Pages the whole window; every record once."""
    seen: set[str] = set()
    pages = 0
    variables: dict[str, Any] = {"first": size, "filter": {"createdAfter": since}}
    async with aiohttp.ClientSession() as http:
        started = time.perf_counter()
        while True:
            async with http.post(url, json={"query": PAGE, "variables": variables}) as reply:
                body = await reply.json()
            assert "errors" not in body, body["errors"]
            connection = body["data"]["smsRecords"]
            seen.update(node["id"] for node in connection["nodes"])
            pages += 1
            if not connection["pageInfo"]["hasNextPage"]:
                break
            variables["after"] = connection["pageInfo"]["endCursor"]
        seconds = time.perf_counter() - started
    return {"records": len(seen), "pages": pages, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--workers", type=int, default=1, help="gateway processes")
    args = parser.parse_args()
    print(machine(), flush=True)
    half = args.records // 2
    since = (datetime.now(UTC) - timedelta(days=31)).isoformat()

    with (
        simulator("didforsale", half, 1) as dfs,
        simulator("carrierx", args.records - half, 2) as cx,
    ):
        raw = asyncio.run(raw_rate(dfs, cx))
        assert raw["records"] == args.records, raw
        config = gateway_config([dfs.provider_entry("dfs"), cx.provider_entry("cx")])
        with gateway(config, workers=args.workers) as ours:
            calls = {"dfs": dfs.requests_served(), "cx": cx.requests_served()}
            with RssSampler(ours.running.pid) as rss:
                walked = asyncio.run(walk(ours.url, args.page_size, since))
            calls = {
                "dfs": dfs.requests_served() - calls["dfs"],
                "cx": cx.requests_served() - calls["cx"],
            }
    assert walked["records"] == args.records, (walked["records"], args.records)

    raw_rps = raw["records"] / raw["seconds"]
    walk_rps = walked["records"] / walked["seconds"]
    print(
        f"{args.records} records (half per provider); walk newest first, "
        f"{walked['pages']:.0f} pages of {args.page_size}\n"
    )
    print("| read | records | seconds | records/s | ÷ raw |")
    print("|---|---|---|---|---|")
    print(
        f"| simulators directly, largest pages | {raw['records']:.0f} | {raw['seconds']:.2f} "
        f"| {raw_rps:.0f} | 1.00 |"
    )
    print(
        f"| walk through the gateway | {walked['records']:.0f} | {walked['seconds']:.2f} "
        f"| {walk_rps:.0f} | {walk_rps / raw_rps:.2f} |"
    )
    print(f"\nupstream calls of the walk: DIDforSale {calls['dfs']}, CarrierX {calls['cx']}")
    print("\n| gateway RSS | start | peak | end | end - start |")
    print("|---|---|---|---|---|")
    print(
        f"| walk | {mib(rss.first)} | {mib(rss.peak)} | {mib(rss.last)} "
        f"| {mib(rss.last - rss.first)} |"
    )
    tenth = max(1, len(rss.samples) // 10)
    print("\nsamples: " + ", ".join(f"{t:.0f}s {mib(b)}" for t, b in rss.samples[::tenth]))


if __name__ == "__main__":
    main()
