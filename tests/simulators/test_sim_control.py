"""The `/_simulator/` control routes: request counting and fault injection."""

from __future__ import annotations

import json
import time
from collections import Counter

import aiohttp
import pytest

from gateway.simulators.control import FAULTS, STATS, Fault

from .support import bearer, cx_served


async def test_faults_then_normal_service(http) -> None:
    async with cx_served(count=5) as served:
        listing = served.base + "/sms/message_drs"
        async with http.post(
            served.root + "/_simulator/faults",
            json={"status": 429, "retry_after": 1, "times": 2, "body": {"message": "slow down"}},
        ) as response:
            assert response.status == 200 and (await response.json())["queued"] == 2
        for _ in range(2):
            async with http.get(listing, headers=bearer()) as response:
                assert response.status == 429
                assert response.headers["Retry-After"] == "1"
                assert await response.json() == {"message": "slow down"}
        async with http.get(listing, headers=bearer()) as response:
            assert response.status == 200
        assert served.app[STATS].requests == 3


async def test_slow_reply_then_served(http) -> None:
    async with cx_served(count=5) as served:
        served.app[FAULTS].inject(Fault(status=None, delay=0.2))
        started = time.monotonic()
        async with http.get(served.base + "/sms/message_drs", headers=bearer()) as response:
            assert response.status == 200
        assert time.monotonic() - started >= 0.2


async def test_clearing_faults(http) -> None:
    async with cx_served(count=5) as served:
        served.app[FAULTS].inject(Fault(), times=3)
        async with http.delete(served.root + "/_simulator/faults") as response:
            assert (await response.json())["queued"] == 0
        async with http.get(served.base + "/sms/message_drs", headers=bearer()) as response:
            assert response.status == 200


@pytest.mark.parametrize(
    "spec", ["not json", [], {"status": "teapot"}, {"colour": 1}, {"delay": "long"}]
)
async def test_bad_fault_spec_is_400(http, spec) -> None:
    async with cx_served(count=5) as served:
        kwargs = {"data": spec} if isinstance(spec, str) else {"json": spec}
        async with http.post(served.root + "/_simulator/faults", **kwargs) as response:
            assert response.status == 400
        assert len(served.app[FAULTS]) == 0


async def test_control_routes_are_not_counted(http) -> None:
    async with cx_served(count=5) as served:
        for _ in range(3):
            async with http.get(served.root + "/_simulator/stats") as response:
                assert (await response.json())["requests"] == 0


async def test_stats_count_the_connections_requests_came_over(http) -> None:
    async with cx_served(count=5) as served:
        listing = served.base + "/sms/message_drs"
        for _ in range(3):
            async with http.get(listing, headers=bearer()) as response:
                await response.read()
        async with (
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as fresh,
        ):
            for _ in range(2):
                async with fresh.get(listing, headers=bearer()) as response:
                    await response.read()
        async with http.get(served.root + "/_simulator/stats") as response:
            stats = await response.json()
        assert (stats["requests"], stats["connections"]) == (5, 3)


async def test_malformed_truncated_and_dropped_replies(http) -> None:
    async with cx_served(count=5) as served:
        listing = served.base + "/sms/message_drs"
        for kind in ("malformed", "truncated", "drop"):
            spec = {"kind": kind}
            if kind == "drop":
                spec["times"] = 2  # aiohttp's client sends an idempotent request again once
            async with http.post(served.root + "/_simulator/faults", json=spec) as response:
                assert response.status == 200
        async with http.get(listing, headers=bearer()) as response:
            assert response.status == 200
            text = await response.text()
            assert text.startswith('{"') and len(text) > 20
            with pytest.raises(ValueError):
                json.loads(text)
        with pytest.raises(aiohttp.ClientPayloadError):
            async with http.get(listing, headers=bearer()) as response:
                assert response.status == 200 and response.content_length > 40
                await response.read()
        fresh = aiohttp.TCPConnector(force_close=True)  # a pooled one is retried by aiohttp
        async with aiohttp.ClientSession(connector=fresh) as once:
            with pytest.raises(aiohttp.ServerDisconnectedError):
                async with once.get(listing, headers=bearer()) as response:
                    await response.read()
        async with http.get(listing, headers=bearer()) as response:
            assert response.status == 200 and len((await response.json())["items"]) == 5


async def test_chaos_faults_the_share_asked_with_every_kind(http) -> None:
    async with cx_served(count=5) as served:
        listing = served.base + "/sms/message_drs"
        outcomes: Counter[str] = Counter()
        spec = {"rate": 0.5, "seed": 3, "stall": 0.01}
        async with http.post(served.root + "/_simulator/chaos", json=spec) as response:
            assert response.status == 200
        for _ in range(200):
            try:
                async with http.get(listing, headers=bearer()) as response:
                    text = await response.text()
                    ok = response.status == 200 and len(_json_or_none(text) or {}) > 0
                    outcomes["ok" if ok else str(response.status)] += 1
            except aiohttp.ServerDisconnectedError:
                outcomes["dropped"] += 1
            except aiohttp.ClientPayloadError:
                outcomes["cut short"] += 1
        faulted = 200 - outcomes["ok"]
        assert 70 <= faulted <= 110, outcomes
        assert {"500", "503", "429", "dropped", "cut short"} <= set(outcomes), outcomes
        assert outcomes["200"] > 0, "malformed bodies with 200"
        async with http.post(served.root + "/_simulator/chaos", json={"rate": 0}) as response:
            assert response.status == 200
        async with http.get(listing, headers=bearer()) as response:
            assert response.status == 200


@pytest.mark.parametrize("spec", [{"rate": 2}, {"rate": 0.1, "colour": 1}, {"latency": -1}])
async def test_bad_chaos_spec_is_400(http, spec) -> None:
    async with (
        cx_served(count=5) as served,
        http.post(served.root + "/_simulator/chaos", json=spec) as response,
    ):
        assert response.status == 400


def _json_or_none(text: str) -> dict | None:
    try:
        return json.loads(text)
    except ValueError:
        return None
