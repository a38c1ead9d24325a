"""Providers that fail, stall, throttle and lie, through real HTTP: nothing is lost or doubled.

The simulators inject the faults themselves (`/_simulator/chaos` and `/_simulator/faults`),
so the gateway meets them exactly as it would meet a misbehaving provider.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.support.relay import BACKWARD, FORWARD, PAGE, Direction, record_keys, walk
from tests.support.simulators import (
    Simulated,
    clear_faults,
    control,
    upstream_requests,
)

from .accounts import deploy, expected_order

CHAOS_POLICY = {
    "timeout_seconds": 0.25,
    "retries": 1,
    "retry_backoff_seconds": 0.001,
    "retry_backoff_max_seconds": 0.01,
    "retry_after_max_seconds": 0.05,
    "breaker_failures": 3,
    "breaker_cooldown_seconds": 0.1,
}
DOWN_POLICY = {
    "timeout_seconds": 0.5,
    "retries": 1,
    "retry_backoff_seconds": 0.001,
    "retry_backoff_max_seconds": 0.01,
    "breaker_failures": 2,
    "breaker_cooldown_seconds": 1.0,
}
PAGE_SIZE = 25


@pytest.fixture(params=[600, 0], ids=["cached", "uncached"])
async def chaotic(request) -> AsyncIterator[tuple[Simulated, bool]]:
    """5,000 records of two providers; with the page cache on, DIDforSale is asked about ten
    times in a walk, with it off about once a page, so its faults show too."""
    deployed = await deploy(
        dfs_count=2500, cx_counts=(2500,), cache={"ttl_seconds": request.param}, policy=CHAOS_POLICY
    )
    for seed, name in enumerate(("dfs", "cx-a"), start=41):
        await control(deployed, name, "chaos", {"rate": 0.2, "seed": seed, "stall": 0.4})
    yield deployed, request.param > 0
    await deployed.close()


@pytest.mark.parametrize("direction", [FORWARD, BACKWARD], ids=["first-after", "last-before"])
async def test_a_walk_through_chaos_sees_every_record_exactly_once(chaotic, direction: Direction):
    """About a fifth of upstream calls fail in every way there is; the walk goes on until
    the end is reached with every provider answering, and holds each record once."""
    deployment, cached = chaotic
    rank = {key: i for i, key in enumerate(expected_order(deployment, descending=True))}
    done = await walk(
        deployment.gql, direction, PAGE_SIZE, strict=False, max_pages=3 * 5000 // PAGE_SIZE
    )
    errors: Counter[tuple[str, str]] = Counter()
    for page in done.pages:
        ranks = [rank[key] for key in record_keys(page.nodes)]
        assert ranks == sorted(ranks), "each page is in the contract order"
        reported = {
            e["extensions"]["provider"]: e["extensions"]["code"]
            for e in page.reply.get("errors", [])
        }
        assert reported == page.failed
        assert set(page.failed.values()) <= {"PROVIDER_UNAVAILABLE", "PROVIDER_ERROR"}
        errors.update(page.failed.items())
        if page.failed:
            assert page.info[direction.ahead], "a page with a failed provider is never the last"
    seen = record_keys(done.records)
    duplicates = [key for key, count in Counter(seen).items() if count > 1]
    assert duplicates == []
    assert sorted(seen) == sorted(expected_order(deployment))
    assert {code for _, code in errors} == {"PROVIDER_UNAVAILABLE", "PROVIDER_ERROR"}, errors
    failed_accounts = {name for name, _ in errors}
    assert failed_accounts == {"dfs", "cx-a"} or (cached and failed_accounts), errors


@pytest.fixture
async def fragile() -> AsyncIterator[Simulated]:
    deployed = await deploy(dfs_count=300, cx_counts=(300,), policy=DOWN_POLICY)
    yield deployed
    await deployed.close()


async def timed_page(deployment: Simulated) -> tuple[dict[str, Any], float]:
    started = time.monotonic()
    result = await deployment.gql(PAGE, {"first": 10})
    return result, time.monotonic() - started


async def readiness(deployment: Simulated) -> tuple[int, dict[str, Any]]:
    async with deployment.http.get(deployment.gateway_url + "/readyz") as response:
        return response.status, await response.json()


async def test_a_stalled_provider_costs_its_timeout_then_nothing_once_its_breaker_opens(fragile):
    """Real time, since the timeouts are the event loop's and the breaker's cool-down is
    purgatory's wall clock. The bounds sit far from what they tell apart: a stalled page
    costs about 1s against a 10s stall, a page past the open breaker some milliseconds
    against the 0.5s timeout, and the breaker stays open 1s for checks that take a tenth."""
    stall = {"status": None, "delay": 10, "times": 1000}
    await control(fragile, "cx-a", "faults", stall)
    timeout = DOWN_POLICY["timeout_seconds"]
    bound = timeout * (DOWN_POLICY["retries"] + 1) + 2.0
    for _ in range(DOWN_POLICY["breaker_failures"]):
        result, elapsed = await timed_page(fragile)
        assert elapsed < bound, f"a page took {elapsed:.2f}s, over the {bound:.2f}s bound"
        assert [e["extensions"] for e in result["errors"]] == [
            {"code": "PROVIDER_UNAVAILABLE", "provider": "cx-a"}
        ]
        assert f"within {timeout:g}s" in result["errors"][0]["message"]
        assert len(result["data"]["smsRecords"]["edges"]) == 10, "dfs fills the page"

    asked = await upstream_requests(fragile, "cx-a")
    result, elapsed = await timed_page(fragile)
    assert await upstream_requests(fragile, "cx-a") == asked, "an open breaker asks nothing"
    assert elapsed < timeout, "an open breaker does not wait"
    assert "is failing" in result["errors"][0]["message"]
    status, body = await readiness(fragile)
    assert status == 503 and body["status"] == "degraded"
    exposed = await metrics(fragile)
    assert 'gateway_provider_breaker_open{provider="cx-a"} 1.0' in exposed
    assert re.search(
        r'gateway_upstream_requests_total\{outcome="timeout",provider="cx-a"\} [1-9]', exposed
    )
    assert body["providers"]["cx-a"]["ok"] is False
    assert body["providers"]["dfs"]["ok"] is True

    await clear_faults(fragile, "cx-a")
    await asyncio.sleep(DOWN_POLICY["breaker_cooldown_seconds"] + 0.1)
    result, _ = await timed_page(fragile)
    assert "errors" not in result
    assert all(s["ok"] for s in result["data"]["smsRecords"]["providerStatus"])
    status, body = await readiness(fragile)
    assert status == 200 and body["status"] == "ok"
    assert 'gateway_provider_breaker_open{provider="cx-a"} 0.0' in await metrics(fragile)


async def metrics(deployment: Simulated) -> str:
    async with deployment.http.get(deployment.gateway_url + "/metrics") as response:
        return await response.text()


MARKER = "body-text-that-must-not-leak"
LYING_REPLIES = {
    "cx wrong types": ("cx-a", {"items": [{"dr_sid": 5, "date_insert": 7, "message": MARKER}]}),
    "cx missing fields": ("cx-a", {"items": [{"message": MARKER}], "has_more": False}),
    "cx bad date": (
        "cx-a",
        {"items": [{"dr_sid": "a1", "date_insert": MARKER, "status": "sent"}], "has_more": False},
    ),
    "cx items not a list": ("cx-a", {"items": MARKER}),
    "cx huge": ("cx-a", {"items": [], "padding": MARKER * 10_000}),
    "dfs wrong types": (
        "dfs",
        {
            "status": True,
            "code": 100,
            "sms_cdr": [{"uuid": [], "date": MARKER}],
            "last_record_number": 0,
        },
    ),
    "dfs bad date": (
        "dfs",
        {
            "status": True,
            "code": 100,
            "sms_cdr": [{"uuid": "1", "date": MARKER, "message": MARKER}],
            "last_record_number": 0,
        },
    ),
    "dfs no listing": ("dfs", {"status": True, "code": 100, "message": MARKER}),
    "dfs huge": ("dfs", {"status": True, "code": 100, "sms_cdr": [], "x": MARKER * 10_000}),
}


@pytest.fixture
async def capped() -> AsyncIterator[Simulated]:
    """One per case: each leaves a lie queued on a simulator until the gateway reads it."""
    deployed = await deploy(
        dfs_count=200, cx_counts=(200,), cache={"ttl_seconds": 0}, policy={"max_reply_bytes": 65536}
    )
    yield deployed
    await deployed.close()


@pytest.mark.parametrize("case", list(LYING_REPLIES))
async def test_a_provider_reply_that_cannot_be_read_fails_that_provider_alone(capped, case):
    failing, body = LYING_REPLIES[case]
    other = "dfs" if failing == "cx-a" else "cx-a"
    await control(capped, failing, "faults", {"status": 200, "body": body})
    result = await capped.gql(PAGE, {"first": 10})
    assert [e["extensions"] for e in result["errors"]] == [
        {"code": "PROVIDER_ERROR", "provider": failing}
    ]
    assert MARKER not in str(result)
    connection = result["data"]["smsRecords"]
    assert {e["node"]["provider"]["name"] for e in connection["edges"]} == {other}
    assert len(connection["edges"]) == 10
    again = await capped.gql(PAGE, {"first": 10})
    assert "errors" not in again, "the next call reads the provider normally"
