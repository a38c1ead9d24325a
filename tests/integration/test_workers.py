"""`sms-gateway serve --workers N`: N processes on one port, as a user runs them.

The command runs in a process of its own over the test's simulators and a real Redis; each
response names the worker that served it (`X-Gateway-Worker`), and every request comes on a
fresh connection, so the kernel spreads them over the workers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.support.relay import FORWARD, record_keys, walk
from tests.support.simulators import (
    CX_TOKEN,
    DFS_KEY,
    DFS_TOKEN,
    DFS_ZONE,
    Simulated,
    control,
    simulator_stats,
    upstream_requests,
)
from tests.support.timing import eventually

from .accounts import deploy, expected_order

CONFIG = """
[server]
request_deadline_seconds = 60  # replies held on purpose must not meet the deadline

[security]
cursor_secret = "a-secret-every-worker-shares"

[cache]
backend = "redis"
redis_url = "{redis_url}"

[[providers]]
name = "dfs"
kind = "didforsale"
base_url = "{dfs}"
api_key = "{dfs_key}"
token = "{dfs_token}"
timezone = "{zone}"

[[providers]]
name = "cx-a"
kind = "carrierx"
base_url = "{cx}"
token = "{cx_token}"
"""
STARTUP_SECONDS = 60
STOP_SECONDS = 30
URL_LINE = re.compile(r"^sms-gateway: GraphQL on (http://127\.0\.0\.1:\d+)/graphql$")


@dataclass
class Served:
    """The master process, the root URL its workers serve, and its log so far."""

    process: asyncio.subprocess.Process
    url: str
    log: list[str] = field(default_factory=list)


@pytest.fixture
async def simulators() -> AsyncIterator[Simulated]:
    deployed = await deploy(dfs_count=300, cx_counts=(300,))
    yield deployed
    await deployed.close()


@pytest.fixture
def config(simulators: Simulated, redis_url: str, tmp_path: Path) -> Path:
    path = tmp_path / "gateway.toml"
    path.write_text(
        CONFIG.format(
            redis_url=redis_url,
            dfs=simulators.bases["dfs"],
            dfs_key=DFS_KEY,
            dfs_token=DFS_TOKEN,
            zone=DFS_ZONE,
            cx=simulators.bases["cx-a"],
            cx_token=CX_TOKEN,
        )
    )
    return path


@contextlib.asynccontextmanager
async def serving_workers(config: Path, count: int = 2) -> AsyncIterator[Served]:
    """`sms-gateway serve --workers N` on a port of the system's choice, once it prints its
    URL; stopped with SIGTERM if the test left it running."""
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "gateway", "serve", "--config", str(config)),
        *("--port", "0", "--workers", str(count)),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    log: list[str] = []

    async def read_log() -> None:
        while line := await process.stderr.readline():
            log.append(line.decode().rstrip())

    reader = asyncio.create_task(read_log())
    try:
        line = (await asyncio.wait_for(process.stdout.readline(), STARTUP_SECONDS)).decode()
        matched = URL_LINE.match(line.strip())
        assert matched, (line, log)
        yield Served(process, matched.group(1), log)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), STOP_SECONDS)
        await reader


@contextlib.asynccontextmanager
async def fresh_connections() -> AsyncIterator[aiohttp.ClientSession]:
    """A client that opens a new connection for every request."""
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(connector=connector) as http:
        yield http


async def health(http: aiohttp.ClientSession, served: Served) -> dict[str, Any]:
    async with http.get(served.url + "/healthz") as response:
        body = await response.json()
        assert response.headers["X-Gateway-Worker"] == str(body["worker"])
        return body


async def stop(served: Served, signum: int = signal.SIGTERM) -> int:
    """Signals the master; its exit status once it and its workers have all exited."""
    served.process.send_signal(signum)
    return await asyncio.wait_for(served.process.wait(), STOP_SECONDS)


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


async def test_a_walk_across_two_workers_sees_every_record_once_then_sigterm_stops_all(
    simulators, config
):
    served_by: dict[str, int] = {}
    async with serving_workers(config) as served, fresh_connections() as http:

        async def post(query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
            payload = {"query": query, "variables": dict(variables or {})}
            async with http.post(served.url + "/graphql", json=payload) as response:
                assert response.status == 200, await response.text()
                served_by[response.headers["X-Request-Id"]] = int(
                    response.headers["X-Gateway-Worker"]
                )
                return await response.json()

        done = await walk(post, FORWARD, 20)
        pids = {(await health(http, served))["pid"] for _ in range(40)}

        assert record_keys(done.records) == expected_order(simulators, descending=True)
        assert set(served_by.values()) == {1, 2}, "each worker served part of the walk"
        listings = [
            json.dumps(r["body"]) for r in (await simulator_stats(simulators, "dfs"))["recent"]
        ]
        assert len(listings) == len(set(listings)), "no DIDforSale page read twice: Redis is shared"
        assert any("(event loop: uvloop " in line for line in served.log), served.log
        assert await stop(served) == 0
    assert len(pids) == 2
    assert all(gone(pid) for pid in pids)
    log = [json.loads(line) for line in served.log]
    worker_of = {
        line["request_id"]: line.get("worker") for line in log if line["event"] == "request"
    }
    assert {request_id: worker_of[request_id] for request_id in served_by} == served_by
    warnings = [line for line in log if line["event"].startswith("no [[clients]]")]
    assert [line["worker"] for line in warnings] == [1], "the open gateway is said once"


async def test_requests_in_flight_finish_when_the_workers_stop(simulators, config):
    """Every upstream call is held 2s by the simulator (a first page may make two), long
    enough for the signal to reach the workers while the requests are all still in flight,
    whichever worker holds each. Each request asks for another page size, so that no two
    share one upstream call through the page cache."""
    async with serving_workers(config) as served, fresh_connections() as http:
        await control(simulators, "cx-a", "faults", {"status": None, "delay": 2.0, "times": 100})
        asked = await upstream_requests(simulators, "cx-a")

        async def page(size: int) -> tuple[int, dict[str, Any]]:
            query = {
                "query": f'{{ smsRecords(first: {size}, filter: {{providers: ["cx-a"]}}) '
                "{ nodes { id } } }"
            }
            async with http.post(served.url + "/graphql", json=query) as response:
                return response.status, await response.json()

        sizes = range(3, 9)
        in_flight = [asyncio.create_task(page(size)) for size in sizes]

        async def all_reached_the_provider() -> bool:
            return await upstream_requests(simulators, "cx-a") >= asked + len(in_flight)

        await eventually(all_reached_the_provider, timeout=STARTUP_SECONDS)
        status = await stop(served, signal.SIGINT)
        for size, (status_code, body) in zip(sizes, await asyncio.gather(*in_flight), strict=True):
            assert status_code == 200
            assert "errors" not in body and len(body["data"]["smsRecords"]["nodes"]) == size
        assert status == 0


async def test_a_worker_that_dies_is_reported_and_replaced(config):
    async with serving_workers(config) as served, fresh_connections() as http:
        workers: dict[int, int] = {}

        async def both_seen() -> bool:
            body = await health(http, served)
            workers[body["worker"]] = body["pid"]
            return len(workers) == 2

        await eventually(both_seen, timeout=STARTUP_SECONDS)
        os.kill(workers[2], signal.SIGKILL)

        async def replaced() -> bool:
            try:
                body = await health(http, served)
            except aiohttp.ClientConnectionError:
                return False  # queued for the worker that died
            return body["worker"] == 2 and body["pid"] != workers[2]

        await eventually(replaced, timeout=STARTUP_SECONDS)
        died = f"worker 2 (pid {workers[2]}) died (killed by SIGKILL); starting another"
        assert any(died in line for line in served.log), served.log
        assert await stop(served) == 0


async def test_workers_stop_by_themselves_when_their_master_is_killed(config):
    async with serving_workers(config) as served, fresh_connections() as http:
        served.process.kill()
        await served.process.wait()

        async def refused() -> bool:
            try:
                await health(http, served)
            except aiohttp.ClientConnectionError:
                return True
            return False

        await eventually(refused, timeout=STOP_SECONDS)


def test_workers_count_zero_means_one_per_core_and_a_negative_count_is_refused(capsys):
    from gateway.cli import cores, parser

    parsed = parser().parse_args(["serve", "--config", "gateway.toml", "--workers", "0"])
    assert parsed.workers == cores() == len(os.sched_getaffinity(0))
    with pytest.raises(SystemExit) as refused:
        parser().parse_args(["serve", "--config", "gateway.toml", "--workers", "-2"])
    assert refused.value.code == 2
    assert "--workers: -2 is negative" in capsys.readouterr().err
