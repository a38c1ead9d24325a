"""Starting simulators in-process and as a command."""

from __future__ import annotations

import asyncio
import signal
import sys

import pytest
from yarl import URL

from gateway.simulators.runner import (
    DEMO_CARRIERX_READ_ONLY_TOKEN,
    DEMO_CARRIERX_TOKEN,
    DEMO_DIDFORSALE_API_KEY,
    DEMO_DIDFORSALE_TOKEN,
    create_demo_app,
    start_demo_simulators,
)


async def test_demo_simulators_answer_with_demo_credentials(http) -> None:
    simulators = await start_demo_simulators(timezone="America/Chicago", records=600)
    try:
        headers = {"APIKEY": DEMO_DIDFORSALE_API_KEY, "accesstoken": DEMO_DIDFORSALE_TOKEN}
        body = {"start_date": "2000-01-01", "end_date": "2100-01-01"}
        async with http.post(
            simulators.didforsale_url + "/SMS/CDR", json=body, headers=headers
        ) as response:
            page = await response.json()
        assert page["status"] is True and len(page["sms_cdr"]) == 500
        for token, status in ((DEMO_CARRIERX_TOKEN, 404), (DEMO_CARRIERX_READ_ONLY_TOKEN, 403)):
            async with http.patch(
                simulators.carrierx_url + "/sms/message_drs/unknown-sid",
                json={"user_data": "x"},
                headers={"Authorization": f"Bearer {token}"},
            ) as response:
                assert response.status == status, "404: allowed to update, but no such record"
    finally:
        await simulators.close()


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="didforsale, carrierx"):
        create_demo_app("twilio", records=1)


@pytest.mark.parametrize(("kind", "path"), [("didforsale", "/api/V4"), ("carrierx", "/core/v2")])
async def test_run_simulator_prints_its_url_and_stops_on_ctrl_c(http, kind, path) -> None:
    code = (
        "from gateway.simulators.runner import run_simulator; "
        f"run_simulator({kind!r}, host='127.0.0.1', port=0, records=50, seed=1, "
        "timezone='Europe/Paris')"
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, stdout=asyncio.subprocess.PIPE
    )
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        url = line.split(": ", 1)[1].split(" ", 1)[0]
        assert url.startswith("http://127.0.0.1:") and url.endswith(path)
        assert "demo-token" in line
        async with http.get(str(URL(url).origin()) + "/_simulator/stats") as response:
            assert (await response.json())["requests"] == 0
        process.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(process.wait(), 30) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
