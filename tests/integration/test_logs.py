"""`sms-gateway serve` logs one JSON object a line on stderr, as a log collector reads it.

The command runs in a process of its own over the test's simulators; the test sends its
requests with ids of its own, injects provider faults, stops the process and then reads every
line it wrote: each must be JSON, the request lines must say who asked what and what it cost
upstream, the failures and the breaker's opening must carry the id of the request that met
them, and no line may hold a secret."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from gateway.auth import token_sha256
from tests.support.serving import serve_command
from tests.support.simulators import (
    CX_TOKEN,
    DFS_KEY,
    DFS_TOKEN,
    Simulated,
    control,
    providers_toml,
    requests_served,
)

from .accounts import deploy

CURSOR_SECRET = "cursor-secret-of-the-logs-test-0123456789"
CLIENT_TOKEN = "desk-token-" + "d" * 40
CONFIG = """
[security]
cursor_secret = "{cursor_secret}"

[cache]
ttl_seconds = 0  # every page asks its accounts, so that a fault always meets a request

[[clients]]
name = "desk"
token_sha256 = "{client_hash}"
providers = ["*"]

"""
SECRETS = (CURSOR_SECRET, CLIENT_TOKEN, CX_TOKEN, DFS_KEY, DFS_TOKEN)


@pytest.fixture
async def simulators() -> AsyncIterator[Simulated]:
    deployed = await deploy(dfs_count=40, cx_counts=(40,))
    yield deployed
    await deployed.close()


def config_file(simulators: Simulated, folder: Path) -> Path:
    path = folder / "gateway.toml"
    policy = {"cx-a": {"retries": 1, "retry_backoff_seconds": 0, "breaker_failures": 2}}
    path.write_text(
        CONFIG.format(cursor_secret=CURSOR_SECRET, client_hash=token_sha256(CLIENT_TOKEN))
        + providers_toml(simulators, policy)
    )
    return path


async def post(
    simulators: Simulated, url: str, request_id: str, query: str, token: str = CLIENT_TOKEN
) -> tuple[int, dict[str, Any]]:
    headers = {"X-Request-Id": request_id, "Authorization": f"Bearer {token}"}
    async with simulators.http.post(
        url + "/graphql", json={"query": query}, headers=headers
    ) as response:
        assert response.headers["X-Request-Id"] == request_id
        return response.status, await response.json()


def lines_of(log: list[dict[str, Any]], request_id: str, event: str) -> list[dict[str, Any]]:
    return [line for line in log if line.get("request_id") == request_id and line["event"] == event]


async def test_every_line_is_json_and_tells_each_request_its_failures_and_the_breaker(
    simulators, tmp_path
):
    lines: list[str] = []
    named = "query RecentTexts { smsRecords(first: 5) { nodes { id } } }"
    cx_only = '{ smsRecords(first: 5, filter: {providers: ["cx-a"]}) { nodes { id } } }'
    async with serve_command(config_file(simulators, tmp_path), lines) as url:
        before = await requests_served(simulators)
        assert (await post(simulators, url, "page-1", named))[0] == 200
        after = await requests_served(simulators)
        status, _ = await post(simulators, url, "refused-1", named, token="not-" + CLIENT_TOKEN)
        assert status == 401

        await control(simulators, "cx-a", "faults", {"status": 503, "times": 4})
        for request_id in ("fault-1", "fault-2"):
            status, body = await post(simulators, url, request_id, cx_only)
            assert status == 200
            assert [e["extensions"]["code"] for e in body["errors"]] == ["PROVIDER_UNAVAILABLE"]
        async with simulators.http.get(url + "/metrics") as response:
            metrics = await response.text()
        assert 'gateway_graphql_requests_total{client="desk"} 3.0' in metrics.splitlines()

    log = [json.loads(line) for line in lines]
    assert len(log) > 5
    for line in log:
        assert {"timestamp", "level", "logger", "event"} <= line.keys(), line
    assert any(line["event"].startswith("listening on 127.0.0.1:") for line in log)
    for text in lines:
        for secret in SECRETS:
            assert secret not in text, "a log line holds a secret"

    (page,) = lines_of(log, "page-1", "request")
    calls = {name: after[name] - before[name] for name in after}
    assert page["client"] == "desk" and page["operation"] == "RecentTexts"
    assert page["status"] == 200 and page["method"] == "POST" and page["path"] == "/graphql"
    assert isinstance(page["duration_ms"], int | float) and page["duration_ms"] >= 0
    assert page["upstream_calls"] == sum(calls.values()) > 0
    assert page["accounts"] == sorted(name for name, count in calls.items() if count)

    (refused,) = lines_of(log, "refused-1", "request")
    assert refused["status"] == 401 and refused["client"] is None
    assert refused["upstream_calls"] == 0 and refused["accounts"] == []

    for request_id in ("fault-1", "fault-2"):
        (request,) = lines_of(log, request_id, "request")
        assert request["operation"] is None and request["client"] == "desk"
        assert request["upstream_calls"] == 2 and request["accounts"] == ["cx-a"]
        failures = lines_of(log, request_id, "upstream call failed")
        assert [(f["account"], f["kind"], f["code"], f["attempt"]) for f in failures] == [
            ("cx-a", "carrierx", "503", 1),
            ("cx-a", "carrierx", "503", 2),
        ]
        assert all(f["level"] == "warning" and f["client"] == "desk" for f in failures)
    assert not lines_of(log, "fault-1", "upstream breaker changed")
    (opened,) = lines_of(log, "fault-2", "upstream breaker changed")
    assert (opened["account"], opened["kind"], opened["state"]) == ("cx-a", "carrierx", "opened")


async def test_a_request_line_over_its_limit_is_a_warning_that_does_not_quote_it(
    simulators, tmp_path
):
    """Past `[limits] max_body_bytes` + 1024 bytes, aiohttp answers the request line itself;
    the log says so in one warning, with no traceback and none of the line's text."""
    lines: list[str] = []
    marker = "overlong-document-text "
    document = "{ __typename } #" + marker * (70_000 // len(marker))
    async with serve_command(config_file(simulators, tmp_path), lines) as url:
        async with simulators.http.get(url + "/graphql", params={"query": document}) as response:
            assert response.status == 400
        async with simulators.http.get(url + "/healthz") as response:
            assert response.status == 200

    log = [json.loads(line) for line in lines]
    (unreadable,) = [line for line in log if line["logger"] == "aiohttp.server"]
    assert unreadable["level"] == "warning" and "LineTooLong" in unreadable["event"]
    assert "exception" not in unreadable
    assert not [line for line in log if line["level"] in {"error", "critical"}]
    assert not [text for text in lines if marker.strip() in text]
