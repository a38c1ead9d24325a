"""The gateway under load: 200 clients at once for 60 s over mixed queries.

A DIDforSale and a CarrierX simulator (`sms-gateway simulate`, half the records each) and the
gateway (`sms-gateway serve`, page cache at its default) run as processes of their own; `wrk`
keeps `--clients` connections busy (`bench/lua/mixed.lua`): 40 % first pages of several
filters (none, direction, statuses, type, one account, a phone number) in both orders, 40 %
next pages that follow the cursors those pages returned, 20 % `node` of records they listed
(first pages stand in while there is no cursor or id yet). No request may fail: a reply
that is not HTTP 200, carries GraphQL errors, or does not come within `--timeout` is an
error. The gateway's resident memory is sampled throughout.

    .venv/bin/python bench/load.py [--clients 200] [--seconds 60] [--records 20000]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from typing import Any

from loopback import RssSampler, gateway, gateway_config, machine, mib, post_json, simulator
from wrk_runner import run_wrk

CURSOR, ID = "@@CURSOR@@", "@@ID@@"
NUMBER_PROBE = '{ smsRecords(first: 1, filter: {providers: ["cx"]}) { nodes { from } } }'
"""A CarrierX number that is in the data, for the `number` filter."""
FIELDS = "id createdAt direction from to status body price provider { name }"


def page_query(alias: str, size: int, order: str, filter_: str, edges: bool) -> str:
    selection = f"edges {{ cursor node {{ {FIELDS} }} }}" if edges else f"nodes {{ {FIELDS} }}"
    return (
        "query Page($after: String) { "
        f"{alias}: smsRecords(first: {size}, after: $after, orderBy: {order}{filter_}) {{ "
        f"{selection} pageInfo {{ hasNextPage endCursor }} }} }}"
    )


def shapes(number: str) -> list[tuple[int, str, str, bool]]:
    """Page size, order, filter argument and whether edges are read, one per first page."""
    return [
        (20, "CREATED_AT_DESC", "", True),
        (20, "CREATED_AT_ASC", "", False),
        (50, "CREATED_AT_DESC", ", filter: { direction: OUTBOUND }", False),
        (20, "CREATED_AT_ASC", ", filter: { statuses: [DELIVERED, SENT] }", False),
        (20, "CREATED_AT_DESC", ', filter: { providers: ["cx"] }', False),
        (20, "CREATED_AT_ASC", ', filter: { type: SMS, providers: ["dfs"] }', True),
        (10, "CREATED_AT_DESC", f', filter: {{ number: "{number}" }}', False),
    ]


def split(body: dict[str, Any], placeholder: str) -> str:
    """The JSON body around a placeholder value: head, tab, tail."""
    head, tail = json.dumps(body).split(placeholder)
    return f"{head}\t{tail}"


def mix_lines(number: str) -> list[str]:
    """The lines of `bench/lua/mixed.lua`'s WRK_MIX file."""
    lines = []
    for n, (size, order, filter_, edges) in enumerate(shapes(number)):
        query = page_query(f"t{n}", size, order, filter_, edges)
        lines.append("first\t" + json.dumps({"query": query}))
        lines.append(
            f"next\t{n}\t" + split({"query": query, "variables": {"after": CURSOR}}, CURSOR)
        )
    node = "query One($id: ID!) { node(id: $id) { id ... on SmsRecord { createdAt status body } } }"
    lines.append("node\t" + split({"query": node, "variables": {"id": ID}}, ID))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--timeout", type=float, default=30, help="a request's, seconds")
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    print(machine(), flush=True)
    half = args.records // 2

    with (
        simulator("didforsale", half, 1) as dfs,
        simulator("carrierx", args.records - half, 2) as cx,
    ):
        config = gateway_config([dfs.provider_entry("dfs"), cx.provider_entry("cx")])
        with gateway(config, workers=args.workers) as ours:
            probe = post_json(ours.url, {"query": NUMBER_PROBE})
            number = probe["data"]["smsRecords"]["nodes"][0]["from"]
            calls = dfs.requests_served() + cx.requests_served()
            with tempfile.NamedTemporaryFile("w", suffix=".tsv") as mix:
                mix.write("\n".join(mix_lines(number)) + "\n")
                mix.flush()
                with RssSampler(ours.running.pid, interval=1.0) as rss:
                    load = run_wrk(
                        ours.url,
                        "mixed.lua",
                        connections=args.clients,
                        seconds=args.seconds,
                        timeout=args.timeout,
                        env={"WRK_MIX": mix.name},
                    )
            calls = dfs.requests_served() + cx.requests_served() - calls

    sent = load.counts
    print(
        f"{args.clients} clients for {args.seconds:g} s; {args.records} records (half per "
        f"provider); {args.workers} gateway process(es); requests sent: first pages "
        f"{sent['sent_first']}, next pages {sent['sent_next']}, node {sent['sent_node']}\n"
    )
    print(
        "| replies | errors | bad replies | timeouts | refused / broken | rps | p50 ms | p99 ms "
        "| max ms | upstream calls/reply |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {load.requests} | {load.errors} | {load.bad} | {load.socket_errors['timeout']} "
        f"| {load.errors - load.bad - load.socket_errors['timeout']} | {load.rps:.1f} "
        f"| {load.p50_ms:.0f} | {load.p99_ms:.0f} | {load.max_ms:.0f} "
        f"| {calls / max(1, load.requests):.2f} |"
    )
    print("\n| gateway RSS | start | peak | end | end - start |")
    print("|---|---|---|---|---|")
    print(
        f"| load | {mib(rss.first)} | {mib(rss.peak)} | {mib(rss.last)} "
        f"| {mib(rss.last - rss.first)} |"
    )
    for sample in load.bad_samples:
        print(sample)


if __name__ == "__main__":
    main()
