"""The HTTP surface and the command line, as a user meets them."""

import asyncio
import contextlib
import os
import re
import shlex
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from gateway.cli import EXAMPLE_QUERY
from tests.support.graphql import GraphQL
from tests.support.serving import demo_command, unused_port
from tests.support.simulators import CX_TOKEN, Simulated, control, upstream_requests
from tests.support.timing import eventually

from .accounts import deploy


async def answers(http: aiohttp.ClientSession, url: str) -> bool:
    """Whether `url` answers 200; False while nothing listens there."""
    try:
        async with http.get(url) as response:
            return response.status == 200
    except aiohttp.ClientConnectionError:
        return False


async def test_health_readiness_metrics_and_graphiql(deployment: Simulated):
    http = deployment.http
    async with http.get(deployment.gateway_url + "/healthz") as response:
        assert response.status == 200
    async with http.get(deployment.gateway_url + "/readyz") as response:
        body = await response.json()
        assert response.status == 200
        assert set(body["providers"]) == {"dfs", "cx-a", "cx-b"}
    async with http.get(deployment.gateway_url + "/metrics") as response:
        assert "gateway_http_requests_total" in await response.text()
    async with http.get(deployment.gateway_url + "/graphql", headers={"Accept": "text/html"}) as r:
        assert r.status == 200
        assert "graphiql" in (await r.text()).lower()


async def test_large_responses_are_compressed_when_accepted(deployment: Simulated):
    query = {"query": "{ smsRecords(first: 50) { nodes { id body raw } } }"}
    async with deployment.http.post(
        deployment.gateway_url + "/graphql", json=query, headers={"Accept-Encoding": "gzip"}
    ) as response:
        assert response.headers.get("Content-Encoding") == "gzip"
        assert len((await response.json())["data"]["smsRecords"]["nodes"]) == 50
    async with deployment.http.post(
        deployment.gateway_url + "/graphql", json=query, headers={"Accept-Encoding": "identity"}
    ) as response:
        assert "Content-Encoding" not in response.headers


async def test_readiness_names_an_unreachable_provider():
    port = unused_port()
    deployed = await deploy(
        dfs_count=5,
        cx_counts=(5, 5),
        extra_providers=[
            {
                "name": "down",
                "kind": "carrierx",
                "base_url": f"http://127.0.0.1:{port}/core/v2",
                "token": "t",
            }
        ],
    )
    try:
        async with deployed.http.get(deployed.gateway_url + "/readyz") as response:
            body = await response.json()
        assert response.status == 503
        assert body["providers"]["down"]["ok"] is False
        assert body["providers"]["cx-a"]["ok"] is True
    finally:
        await deployed.close()


CONFIG = """
[server]
cors_origins = ["https://app.example.com"]
graphiql = false

[security]
cursor_secret = "${{TEST_CURSOR_SECRET}}"

[[providers]]
name = "dfs-main"
kind = "didforsale"
base_url = "{dfs}"
api_key = "dfs-key"
token = "${{TEST_DFS_TOKEN}}"
timezone = "America/Chicago"

[[providers]]
name = "cx-main"
kind = "carrierx"
base_url = "{cx}"
token = "{cx_token}"
"""


async def serve_command(
    deployment: Simulated, folder: Path, port: int, stderr: int
) -> asyncio.subprocess.Process:
    """`sms-gateway serve --config` in its own process, CONFIG over the deployment's `dfs`
    and `cx-a` simulators, with the secrets it reads from the environment."""
    config = folder / "gateway.toml"
    config.write_text(
        CONFIG.format(dfs=deployment.bases["dfs"], cx=deployment.bases["cx-a"], cx_token=CX_TOKEN)
    )
    env = {**os.environ, "TEST_CURSOR_SECRET": "x" * 32, "TEST_DFS_TOKEN": "dfs-token"}
    return await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "gateway", "serve", "--config", str(config), "--port", str(port)),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=stderr,
    )


@pytest.fixture
async def simulators() -> AsyncIterator[Simulated]:
    """Simulators of the serve process's own, since its tests inject faults into them."""
    deployed = await deploy(dfs_count=50, cx_counts=(50,))
    yield deployed
    await deployed.close()


@pytest.fixture
async def serve_process(simulators: Simulated, tmp_path: Path):
    """`sms-gateway serve --config` in its own process, over the test's simulators."""
    port = unused_port()
    process = await serve_command(simulators, tmp_path, port, asyncio.subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        await eventually(lambda: answers(simulators.http, url + "/healthz"), timeout=30)
        yield process, url
    finally:
        if process.returncode is None:
            process.terminate()
        await process.wait()


@pytest.fixture
async def served(serve_process):
    return serve_process[1]


async def refused(http: aiohttp.ClientSession, url: str) -> bool:
    """Whether a new connection to `url` is refused."""
    try:
        async with http.get(url) as response:
            await response.read()
    except aiohttp.ClientConnectionError:
        return True
    return False


async def test_sigterm_lets_the_request_in_flight_finish_then_stops(serve_process, simulators):
    """The simulator holds the reply 3s: time for the signal to arrive and the listener to
    close, waited for by its effects rather than for fixed times."""
    process, url = serve_process
    await control(simulators, "cx-a", "faults", {"status": None, "delay": 3.0})
    asked = await upstream_requests(simulators, "cx-a")
    query = '{ smsRecords(first: 3, filter: {providers: ["cx-main"]}) { nodes { id } } }'
    in_flight = asyncio.create_task(GraphQL(simulators.http, [url + "/graphql"])(query))

    async def reached_the_provider() -> bool:
        return await upstream_requests(simulators, "cx-a") > asked

    await eventually(reached_the_provider)
    process.send_signal(signal.SIGTERM)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as fresh:
        await eventually(lambda: refused(fresh, url + "/healthz"))
    assert not in_flight.done(), "the listener closed while the request was still in flight"
    body = await in_flight
    assert "errors" not in body
    assert len(body["data"]["smsRecords"]["nodes"]) == 3
    assert await asyncio.wait_for(process.wait(), 10) == 0


async def test_serve_with_a_config_file_answers_and_allows_its_cors_origin(served, simulators):
    http = simulators.http
    async with http.post(served + "/graphql", json={"query": "{ providers { name } }"}) as response:
        body = await response.json()
    assert [p["name"] for p in body["data"]["providers"]] == ["dfs-main", "cx-main"]
    preflight = {
        "Origin": "https://app.example.com",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type",
    }
    async with http.options(served + "/graphql", headers=preflight) as response:
        assert response.status == 200
        assert response.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    async with http.post(
        served + "/graphql",
        json={"query": "{ smsRecords(first: 2) { nodes { id } } }"},
        headers={"Origin": "https://app.example.com"},
    ) as response:
        assert response.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
        assert len((await response.json())["data"]["smsRecords"]["nodes"]) == 2
    async with http.options(
        served + "/graphql", headers={**preflight, "Origin": "https://evil.example.net"}
    ) as response:
        assert "Access-Control-Allow-Origin" not in response.headers
    async with http.get(served + "/graphql", headers={"Accept": "text/html"}) as response:
        assert "graphiql" not in (await response.text()).lower()


async def test_demo_prints_graphiql_url_and_a_query_that_works():
    logged: list[str] = []
    async with demo_command(logged) as (url, printed):
        assert f"{url}/graphql" in printed
        assert EXAMPLE_QUERY in printed
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"{url}/graphql",
                json={"query": EXAMPLE_QUERY},
                headers={"Origin": "http://localhost:3000", "X-Request-Id": "demo-1"},
            ) as response,
        ):
            body = await response.json()
            assert response.headers["Access-Control-Allow-Origin"] in {
                "*",
                "http://localhost:3000",
            }
        connection = body["data"]["smsRecords"]
        assert len(connection["edges"]) == 5
        assert {s["provider"] for s in connection["providerStatus"]} == {
            "carrierx-demo",
            "didforsale-demo",
        }
        await _the_printed_curl_command_answers(printed, f"{url}/graphql")
    assert any("listening on 127.0.0.1" in line for line in logged), logged
    (request,) = [line for line in logged if "request_id=demo-1" in line]
    assert request.split()[1:4] == ["[info", "]", "request"], "people read the demo's log"
    for field in ("client=anonymous", "status=200", "path=/graphql"):
        assert field in request.split(), request
    assert "accounts=['carrierx-demo', 'didforsale-demo']" in request


@contextlib.asynccontextmanager
async def simulating(*flags: str):
    """`sms-gateway simulate carrierx` in its own process; yields its port and first line."""
    port = unused_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "gateway",
        "simulate",
        "carrierx",
        "--port",
        str(port),
        *flags,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode()
        yield port, line
    finally:
        process.terminate()
        await process.wait()


async def test_simulate_runs_one_provider_alone():
    async with simulating("--records", "50") as (port, line):
        assert re.search(rf"http://127\.0\.0\.1:{port}/core/v2", line), line
        async with (
            aiohttp.ClientSession() as http,
            http.get(
                f"http://127.0.0.1:{port}/core/v2/sms/message_drs?limit=1000",
                headers={"Authorization": "Bearer demo-token"},
            ) as response,
        ):
            assert (await response.json())["count"] == 50


async def test_simulate_with_latency_and_faults_from_its_flags():
    statuses: list[int | str] = []
    flags = ("--records", "20", "--latency", "0.05", "--fault-rate", "0.5", "--fault-seed", "4")
    async with simulating(*flags) as (port, _):
        url = f"http://127.0.0.1:{port}/core/v2/sms/message_drs"
        started = time.monotonic()
        async with aiohttp.ClientSession() as http:
            for _ in range(20):
                try:
                    async with http.get(url, headers={"Authorization": "Bearer demo-token"}) as r:
                        await r.read()
                        statuses.append(r.status)
                except aiohttp.ClientError:
                    statuses.append("dropped")
        assert time.monotonic() - started >= 20 * 0.05
    assert 0 < statuses.count(200) < 20 and set(statuses) - {200}, statuses


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{}", "application/json"),
        (b'{"query": ""}', "application/json"),
        (b"{not json", "application/json"),
        (b'{"query": 5}', "application/json"),
        (b'{"query": "{ providers { name } }", "variables": "x"}', "application/json"),
        (b"{ providers { name } }", "text/plain"),
    ],
)
async def test_requests_that_are_not_graphql_get_coded_json_errors(deployment, body, content_type):
    async with deployment.http.post(
        deployment.gateway_url + "/graphql", data=body, headers={"Content-Type": content_type}
    ) as response:
        assert 400 <= response.status < 500
        payload = await response.json()
    assert payload["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert payload["errors"][0]["message"]


async def test_serve_on_a_busy_port_says_so_in_one_line(deployment, tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        process = await serve_command(deployment, tmp_path, port, asyncio.subprocess.PIPE)
        _, stderr = await asyncio.wait_for(process.communicate(), 60)
    lines = stderr.decode().strip().splitlines()
    assert process.returncode == 1
    assert len(lines) == 1
    assert (
        lines[0].lower()
        == f"sms-gateway: cannot listen on 127.0.0.1:{port}: address already in use"
    )


async def _the_printed_curl_command_answers(printed: str, endpoint: str) -> None:
    """The shell command the demo prints posts a query that returns records (sent here as
    curl would send it: the same address, header and body)."""
    command = shlex.split(next(line for line in printed.splitlines() if line.startswith("curl ")))
    assert command[:3] == ["curl", "-s", endpoint]
    assert command[3:5] == ["-H", "Content-Type: application/json"]
    assert command[5] == "-d"
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            command[2], data=command[6], headers={"Content-Type": "application/json"}
        ) as response,
    ):
        nodes = (await response.json())["data"]["smsRecords"]["nodes"]
    assert len(nodes) == 3
    assert all(node["id"] and node["provider"]["name"] for node in nodes)
