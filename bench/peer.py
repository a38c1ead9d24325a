"""The gateway against GraphQL Mesh: the same first page of 50 records of one CarrierX account,
through both, over one CarrierX simulator answering every call after a fixed latency.

Every process runs on its own on loopback: the simulator (`sms-gateway simulate carrierx`),
Mesh (Hive Gateway over a JSON-schema source, installed from npm on first use), the gateway
(`sms-gateway serve`) twice, with the page cache at its default and with `ttl_seconds = 0`,
and `wrk` as the closed-loop load generator. Each is loaded in turn at every concurrency, and
the figures are ratios to Mesh's from the same run. Before any load, both answers are checked
to hold the same 50 records. Upstream calls per page are counted by the simulator.

    .venv/bin/python bench/peer.py [--seconds 12] [--concurrency 8 32] [--workers 1]
        [--latency 0.02] [--profile DIR [--profile-seconds 20] [--profile-name peer]]

`--profile DIR` then records py-spy profiles of the gateway under the same load at the
first concurrency, one per cache setting (`default`, `ttl0`): a flame graph
(`DIR/peer-<setting>.svg`), the collapsed stacks, and the functions that take the time
(`DIR/peer-<setting>.txt`, by own and total share of samples).
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphql_mesh import QUERY as MESH_QUERY
from graphql_mesh import ensure_installed, mesh_gateway
from hotspots import hotspots_table
from loopback import (
    DEMO_CARRIERX_TOKEN,
    Gateway,
    Simulator,
    gateway,
    gateway_config,
    machine,
    post_json,
    simulator,
)
from wrk_runner import Load, post_load

PAGE_SIZE = 50
OUR_QUERY = """query Page($first: Int!) {
  smsRecords(first: $first) {
    nodes { providerRecordId createdAt direction from to status body }
  }
}"""
"""The same seven fields as Mesh's page: the record's id at the provider, time, direction,
numbers, status and text."""


@dataclass(frozen=True)
class Server:
    """One side of the comparison: a name, a URL, the body it is asked, and how to read the
    page's provider ids out of its answer."""

    name: str
    url: str
    body: dict[str, Any]
    ids: Callable[[dict[str, Any]], list[str]]
    pid: int | None = None


def mesh_ids(reply: dict[str, Any]) -> list[str]:
    return [item["dr_sid"] for item in reply["data"]["messageDrs"]["items"]]


def our_ids(reply: dict[str, Any]) -> list[str]:
    return [node["providerRecordId"] for node in reply["data"]["smsRecords"]["nodes"]]


def checked_page(server: Server) -> list[str]:
    """The page's provider ids, after checking that the answer is a whole page, no error."""
    reply = post_json(server.url, server.body)
    if "errors" in reply:
        raise SystemExit(f"{server.name} answered errors: {reply['errors']}")
    ids = server.ids(reply)
    if len(ids) != PAGE_SIZE:
        raise SystemExit(f"{server.name} answered {len(ids)} records, not {PAGE_SIZE}")
    return ids


def measure(server: Server, cx: Simulator, connections: int, seconds: float) -> dict[str, Any]:
    """One closed-loop run, with the upstream calls it made per page answered."""
    calls_before = cx.requests_served()
    load = post_load(server.url, server.body, connections=connections, seconds=seconds)
    calls = cx.requests_served() - calls_before
    return {"load": load, "calls_per_page": calls / max(1, load.requests)}


def row(name: str, result: dict[str, Any], mesh: Load) -> str:
    load: Load = result["load"]
    return (
        f"| {load.connections} | {name} | {load.rps:.0f} | {load.p50_ms:.1f} | {load.p99_ms:.1f} "
        f"| {load.errors} | {result['calls_per_page']:.2f} | {load.rps / mesh.rps:.2f} "
        f"| {mesh.p50_ms / load.p50_ms:.2f} |"
    )


@contextlib.contextmanager
def our_gateways(cx: Simulator, workers: int) -> Iterator[dict[str, Gateway]]:
    """The gateway over the one account, with the cache at its default and turned off."""
    entry = cx.provider_entry("cx")
    with (
        gateway(gateway_config([entry]), workers=workers) as default,
        gateway(gateway_config([entry], cache_ttl=0), workers=workers) as uncached,
    ):
        yield {"ours (default cache)": default, "ours (ttl 0)": uncached}


def profile(server: Server, prefix: Path, connections: int, seconds: float) -> None:
    """py-spy on the gateway under load: a flame graph, then the collapsed stacks summed up."""
    prefix.parent.mkdir(parents=True, exist_ok=True)
    spy = str(Path(sys.executable).with_name("py-spy"))
    for fmt, suffix in (("flamegraph", ".svg"), ("raw", ".collapsed")):
        out = prefix.with_name(prefix.name + suffix)
        command = [spy, "record", "--nonblocking", "--pid", str(server.pid)]
        command += ["--duration", str(round(seconds)), "--format", fmt, "-o", str(out)]
        recorder = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1)
        post_load(server.url, server.body, connections=connections, seconds=seconds)
        recorder.wait()
    table = hotspots_table(prefix.with_name(prefix.name + ".collapsed").read_text())
    prefix.with_name(prefix.name + ".txt").write_text(table)
    print(f"\nprofile of {server.name}, {connections} clients: {prefix}.svg")
    print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=12, help="each run's length")
    parser.add_argument("--warmup", type=float, default=2, help="unmeasured load before each")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--latency", type=float, default=0.02, help="the simulator's, seconds")
    parser.add_argument("--records", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--workers", type=int, default=1, help="processes per gateway")
    parser.add_argument("--profile", type=Path, help="folder for py-spy profiles")
    parser.add_argument("--profile-seconds", type=float, default=20)
    parser.add_argument("--profile-name", default="peer", help="the profiles' file names begin so")
    args = parser.parse_args()
    print(machine(), flush=True)
    ensure_installed()

    page = {"variables": {"first": PAGE_SIZE}, "query": OUR_QUERY}
    with (
        simulator("carrierx", args.records, args.seed) as cx,
        mesh_gateway(cx.base_url, DEMO_CARRIERX_TOKEN, workers=args.workers) as mesh_url,
        our_gateways(cx, args.workers) as ours,
    ):
        cx.set_latency(args.latency)
        mesh = Server(
            "mesh", mesh_url, {"query": MESH_QUERY, "variables": {"limit": PAGE_SIZE}}, mesh_ids
        )
        servers = [mesh] + [Server(n, g.url, page, our_ids, g.running.pid) for n, g in ours.items()]
        expected = set(checked_page(mesh))
        for server in servers[1:]:
            if set(checked_page(server)) != expected:
                raise SystemExit(f"{server.name} and mesh answered different records")

        print(
            f"CarrierX simulator: {args.records} records, {args.latency * 1000:.0f} ms a call; "
            f"a page of {PAGE_SIZE} records, 7 fields; {args.workers} process(es) a gateway; "
            f"{args.seconds:g} s a run\n"
        )
        print(
            "| clients | server | rps | p50 ms | p99 ms | errors | upstream calls/page "
            "| rps ÷ mesh | mesh p50 ÷ p50 |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for connections in args.concurrency:
            results = {}
            for server in servers:
                post_load(server.url, server.body, connections=connections, seconds=args.warmup)
                results[server.name] = measure(server, cx, connections, args.seconds)
            baseline: Load = results["mesh"]["load"]
            for name, result in results.items():
                print(row(name, result, baseline), flush=True)

        if args.profile:
            for server, tag in zip(servers[1:], ("default", "ttl0"), strict=True):
                prefix = args.profile / f"{args.profile_name}-{tag}"
                profile(server, prefix, args.concurrency[0], args.profile_seconds)


if __name__ == "__main__":
    main()
