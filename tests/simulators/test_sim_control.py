"""The `/_simulator/` control routes: request counting and fault injection."""

from __future__ import annotations

import time

import pytest

from gateway.simulators.control import FAULTS, STATS, Fault

from .support import bearer, cx_serve


async def test_faults_then_normal_service(http) -> None:
    runner, served = await cx_serve(count=5)
    listing = served.base + "/sms/message_drs"
    try:
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
    finally:
        await runner.cleanup()


async def test_slow_reply_then_served(http) -> None:
    runner, served = await cx_serve(count=5)
    try:
        served.app[FAULTS].inject(Fault(status=None, delay=0.2))
        started = time.monotonic()
        async with http.get(served.base + "/sms/message_drs", headers=bearer()) as response:
            assert response.status == 200
        assert time.monotonic() - started >= 0.2
    finally:
        await runner.cleanup()


async def test_clearing_faults(http) -> None:
    runner, served = await cx_serve(count=5)
    try:
        served.app[FAULTS].inject(Fault(), times=3)
        async with http.delete(served.root + "/_simulator/faults") as response:
            assert (await response.json())["queued"] == 0
        async with http.get(served.base + "/sms/message_drs", headers=bearer()) as response:
            assert response.status == 200
    finally:
        await runner.cleanup()


@pytest.mark.parametrize(
    "spec", ["not json", [], {"status": "teapot"}, {"colour": 1}, {"delay": "long"}]
)
async def test_bad_fault_spec_is_400(http, spec) -> None:
    runner, served = await cx_serve(count=5)
    try:
        kwargs = {"data": spec} if isinstance(spec, str) else {"json": spec}
        async with http.post(served.root + "/_simulator/faults", **kwargs) as response:
            assert response.status == 400
        assert len(served.app[FAULTS]) == 0
    finally:
        await runner.cleanup()


async def test_control_routes_are_not_counted(http) -> None:
    runner, served = await cx_serve(count=5)
    try:
        for _ in range(3):
            async with http.get(served.root + "/_simulator/stats") as response:
                assert (await response.json())["requests"] == 0
    finally:
        await runner.cleanup()
