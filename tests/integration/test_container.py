"""The image's commands, run as the container runs them but as processes of this machine.

The gateway runs with the Dockerfile's ENTRYPOINT and CMD, reading docker/demo.toml where
compose mounts it, with the environment compose gives the replicas; only the addresses
differ (this machine's loopback instead of compose's service names). The demo profile's
simulators run with their compose commands. Each healthcheck runs against what it checks.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest

from gateway.simulators.carrierx import create_carrierx_app
from gateway.simulators.dataset import generate_carrierx_records, generate_didforsale_rows
from gateway.simulators.didforsale import create_didforsale_app
from gateway.simulators.runner import (
    DEMO_CARRIERX_TOKENS,
    DEMO_DIDFORSALE_API_KEY,
    DEMO_DIDFORSALE_TOKEN,
)
from tests.support.containers import (
    DOCKER,
    Running,
    exec_form,
    image_healthcheck,
    local,
    replaced,
    run_check,
    running,
    service,
    with_option,
)
from tests.support.graphql import GraphQL
from tests.support.relay import FORWARD, record_keys, walk
from tests.support.serving import serving, unused_port
from tests.support.simulators import Datasets

from .accounts import merged_order

DEMO_ZONE = "America/Chicago"
RECORDS = 250


@pytest.fixture
def datasets() -> Datasets:
    now = datetime.now(UTC)
    return Datasets(
        dfs={"didforsale-demo": generate_didforsale_rows(RECORDS, 21, DEMO_ZONE, now)},
        cx={"carrierx-demo": generate_carrierx_records(RECORDS, 22, now)},
        zone=DEMO_ZONE,
    )


@pytest.fixture
async def gateway(datasets, redis_url, tmp_path) -> AsyncIterator[tuple[Running, int]]:
    """The image's entry command with the demo config, over simulators of `datasets` that
    take the demo credentials; yields once /readyz says every account answers."""
    [rows] = datasets.dfs.values()
    [records] = datasets.cx.values()
    didforsale = create_didforsale_app(
        rows, api_key=DEMO_DIDFORSALE_API_KEY, token=DEMO_DIDFORSALE_TOKEN, timezone=DEMO_ZONE
    )
    carrierx = create_carrierx_app(records, tokens=DEMO_CARRIERX_TOKENS)
    async with serving(didforsale) as dfs_root, serving(carrierx) as cx_root:
        addresses = {
            "REDIS_URL": redis_url,
            "DIDFORSALE_SIMULATOR": dfs_root.removeprefix("http://"),
            "CARRIERX_SIMULATOR": cx_root.removeprefix("http://"),
        }
        environment = {name: addresses[name] for name in service("gateway")["environment"]}
        port = unused_port()
        argv = with_option(exec_form("CMD"), "--config", str(DOCKER / "demo.toml"))
        argv = with_option(with_option(argv, "--host", "127.0.0.1"), "--port", str(port))
        async with running(
            local([*exec_form("ENTRYPOINT"), *argv]),
            {**os.environ, **environment},
            f"http://127.0.0.1:{port}/readyz",
            tmp_path / "gateway.log",
        ) as process:
            yield process, port


async def test_the_entry_command_serves_the_demo_config_and_stops_on_sigterm(gateway, datasets):
    _, port = gateway
    async with aiohttp.ClientSession() as http:
        done = await walk(GraphQL(http, [f"http://127.0.0.1:{port}/graphql"]), FORWARD, 40)

    done.check_relay()
    assert record_keys(done.records) == merged_order(datasets, descending=True)
    first_page = {key[0] for key in record_keys(done.pages[0].nodes)}
    assert first_page == {"didforsale-demo", "carrierx-demo"}


async def test_the_image_healthcheck_passes_while_the_gateway_runs_and_fails_when_it_is_down(
    gateway,
):
    process, port = gateway
    check = local(image_healthcheck())

    assert await run_check(replaced(check, "127.0.0.1:8000", f"127.0.0.1:{port}")) == 0, (
        process.output()
    )
    nothing_there = replaced(check, "127.0.0.1:8000", f"127.0.0.1:{unused_port()}")
    assert await run_check(nothing_there) != 0


def test_compose_checks_the_gateway_as_the_image_does():
    assert service("gateway")["healthcheck"]["test"] == ["CMD", *image_healthcheck()]


@pytest.mark.parametrize("name", ["didforsale", "carrierx"])
async def test_a_demo_simulator_runs_from_its_compose_command_and_passes_its_healthcheck(
    name, tmp_path
):
    simulator = service(name)
    port = unused_port()
    argv = with_option(simulator["command"], "--host", "127.0.0.1")
    argv = with_option(argv, "--port", str(port))
    check = local(simulator["healthcheck"]["test"][1:])
    local_check = replaced(check, "127.0.0.1:8080", f"127.0.0.1:{port}")
    async with running(
        local([*exec_form("ENTRYPOINT"), *argv]),
        os.environ,
        f"http://127.0.0.1:{port}/_simulator/stats",
        tmp_path / f"{name}.log",
    ) as process:
        assert await run_check(local_check) == 0, process.output()
    assert await run_check(local_check) != 0
