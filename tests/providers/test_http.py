import asyncio
import contextlib
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from aiohttp import web

from gateway.config import CarrierXSettings
from gateway.errors import ProviderError, ProviderUnavailable
from gateway.metrics import REGISTRY
from gateway.providers.http import (
    AccountClient,
    close_session,
    decode_json,
    make_session,
    parse_retry_after,
)
from tests.support.serving import serving, unused_port
from tests.support.timing import eventually

FAST = {
    "retries": 2,
    "retry_backoff_seconds": 0.001,
    "retry_backoff_max_seconds": 0.01,
    "retry_after_max_seconds": 0.3,
}


def client(session, sleep=asyncio.sleep, **policy):
    settings = CarrierXSettings(
        name="cx-main",
        kind="carrierx",
        base_url="http://127.0.0.1/core/v2",
        token="cx-secret",
        **(FAST | policy),
    )
    headers = {"Authorization": "Bearer cx-secret"}
    return AccountClient(session, settings, kind="carrierx", headers=headers, sleep=sleep)


class Waits:
    """A sleep that notes each wait between attempts instead of taking it."""

    def __init__(self):
        self.asked = []

    async def __call__(self, seconds):
        self.asked.append(seconds)


class Script:
    """Answers each request with the next scripted reply; the last one repeats."""

    def __init__(self, *replies):
        self.replies = list(replies)
        self.calls = 0

    async def handle(self, request):
        reply = self.replies[min(self.calls, len(self.replies) - 1)]
        self.calls += 1
        status, body, headers, delay = reply
        if delay:
            await asyncio.sleep(delay)
        return web.Response(
            status=status, text=body, headers=headers, content_type="application/json"
        )


def ok(body='{"price": 0.015, "n": 3}'):
    return (200, body, {}, 0)


def failing(status, headers=None):
    return (status, '{"message": "nope"}', headers or {}, 0)


@contextlib.asynccontextmanager
async def scripted(script):
    """Serves the script at a URL of its own."""
    app = web.Application()
    app.router.add_route("*", "/x", script.handle)
    async with serving(app) as root:
        yield root + "/x"


async def call(session, script, *, retry=True, method="GET", sleep=asyncio.sleep, **policy):
    async with scripted(script) as url:
        return await client(session, sleep, **policy).request(method, url, call="get", retry=retry)


async def test_json_numbers_arrive_as_decimal(session):
    status, body, _ = await call(session, Script(ok()))
    assert status == 200
    assert body == {"price": Decimal("0.015"), "n": 3}
    assert isinstance(body["price"], Decimal)


async def test_a_server_error_is_retried(session):
    script = Script(failing(503), failing(502), ok())
    assert (await call(session, script)).status == 200
    assert script.calls == 3


async def test_a_server_error_that_persists_makes_the_account_unavailable(session):
    script = Script(failing(500))
    with pytest.raises(ProviderUnavailable) as raised:
        await call(session, script)
    assert script.calls == 3
    assert raised.value.provider == "cx-main"
    assert raised.value.message == "carrierx account 'cx-main' is unavailable (HTTP 500)"


async def test_writes_are_not_retried(session):
    script = Script(failing(503), ok())
    with pytest.raises(ProviderUnavailable):
        await call(session, script, retry=False, method="PATCH")
    assert script.calls == 1


async def test_rate_limiting_honours_retry_after_up_to_the_cap(session):
    script = Script(failing(429, {"Retry-After": "0.2"}), failing(429, {"Retry-After": "60"}), ok())
    waits = Waits()
    assert (await call(session, script, sleep=waits)).status == 200
    assert script.calls == 3
    assert waits.asked == [0.2, 0.3]  # 0.2s asked, then 60s asked and capped at 0.3s


async def test_rate_limiting_that_persists(session):
    with pytest.raises(ProviderUnavailable, match="is rate limiting requests"):
        await call(session, Script(failing(429)))


async def test_client_errors_are_returned_for_the_adapter_to_read(session):
    script = Script(failing(404))
    reply = await call(session, script)
    assert (reply.status, reply.body) == (404, {"message": "nope"})
    assert script.calls == 1


async def test_an_error_body_that_is_not_json_is_dropped(session):
    reply = await call(session, Script((403, "<html>", {}, 0)))
    assert (reply.status, reply.body) == (403, None)


async def test_a_success_body_that_is_not_json(session):
    with pytest.raises(ProviderError) as raised:
        await call(session, Script((200, "<html>oops</html>", {}, 0)))
    assert not isinstance(raised.value, ProviderUnavailable)
    assert raised.value.message == "carrierx account 'cx-main' sent a reply that is not JSON"


async def test_non_finite_numbers_are_not_json(session):
    with pytest.raises(ProviderError):
        await call(session, Script(ok('{"price": NaN}')))


async def test_a_slow_account_times_out_on_every_attempt(session):
    """Real time, as the timeout is the event loop's: replies 1s late against a 0.1s
    timeout, far enough apart for a loaded machine."""
    script = Script((200, "{}", {}, 1.0))
    with pytest.raises(ProviderUnavailable) as raised:
        await call(session, script, timeout_seconds=0.1)
    assert script.calls == 3
    assert raised.value.message == "carrierx account 'cx-main' did not answer within 0.1s"


async def test_a_closed_port(session):
    url = f"http://127.0.0.1:{unused_port()}/x?token=cx-secret"
    with pytest.raises(ProviderUnavailable) as raised:
        await client(session).request("GET", url, call="get", retry=True)
    assert raised.value.message == "carrierx account 'cx-main' could not be reached"


def test_decode_json_keeps_integers():
    assert decode_json(b'{"a": 1, "b": 1.50}') == {"a": 1, "b": Decimal("1.50")}


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (None, None),
        ("", None),
        ("3", 3.0),
        ("1.5", 1.5),
        ("-4", 0.0),
        ("soon", None),
        ("Wed, 20 Nov 2024 00:00:30 GMT", 30.0),
        ("Tue, 19 Nov 2024 23:00:00 GMT", 0.0),
    ],
)
def test_parse_retry_after(header, seconds):
    now = datetime(2024, 11, 20, tzinfo=UTC)
    assert parse_retry_after(header, now) == seconds


async def test_the_breaker_opens_after_consecutive_failures_and_probes_after_the_cooldown(session):
    """A failure is a request that stays unavailable after its retries, not an attempt.

    Real time, as purgatory reads the wall clock: the 1s cool-down is far longer than the
    refused calls take, and the wait for it is a lower bound a loaded machine only lengthens."""
    script = Script(*[failing(503)] * 6, ok())
    account = client(session, breaker_failures=2, breaker_cooldown_seconds=1.0)
    async with scripted(script) as url:
        with pytest.raises(ProviderUnavailable, match=r"HTTP 503"):
            await account.request("GET", url, call="get", retry=True)
        assert (script.calls, account.breaker_open) == (3, False)
        with pytest.raises(ProviderUnavailable, match=r"HTTP 503"):
            await account.request("GET", url, call="get", retry=True)
        assert (script.calls, account.breaker_open) == (6, True)
        for _ in range(50):
            with pytest.raises(ProviderUnavailable) as raised:
                await account.request("GET", url, call="get", retry=True)
        assert raised.value.message == (
            "carrierx account 'cx-main' is failing; it is not asked again for up to 1s"
        )
        assert script.calls == 6, "an open breaker does not ask the provider"
        await asyncio.sleep(1.05)
        assert (await account.request("GET", url, call="get", retry=True)).status == 200
        assert not account.breaker_open
        assert script.calls == 7


async def test_a_request_whose_caller_went_away_still_counts_against_the_breaker(session):
    """Replies 5s late against a 0.2s timeout; the breaker is waited for, not a fixed time."""
    script = Script((200, "{}", {}, 5.0))
    account = client(session, retries=0, timeout_seconds=0.2, breaker_failures=2)

    async def opened() -> bool:
        return account.breaker_open

    async with scripted(script) as url:
        for _ in range(2):
            caller = asyncio.create_task(account.request("GET", url, call="get", retry=True))
            await asyncio.sleep(0.05)
            caller.cancel()
            with pytest.raises(asyncio.CancelledError):
                await caller
        await eventually(opened)  # both timed out, though nobody waited for them


async def test_closing_the_session_cancels_the_requests_their_callers_left():
    """Replies 5s late against a 30s timeout; once its caller has gone, closing the session
    ends the request at once, and it is not sent again on another connection."""
    script = Script((200, "{}", {}, 5.0))
    async with scripted(script) as url:
        session = make_session()
        account = client(session, retries=0, timeout_seconds=30)
        caller = asyncio.create_task(account.request("GET", url, call="get", retry=True))

        async def asked() -> bool:
            return script.calls == 1

        await eventually(asked)
        caller.cancel()
        with pytest.raises(asyncio.CancelledError):
            await caller
        await asyncio.wait_for(close_session(session), 2.0)
        assert session.closed
        assert script.calls == 1


async def test_a_server_error_honours_retry_after_and_is_counted_by_status(session):
    before = REGISTRY.get_sample_value(
        "gateway_upstream_requests_total", {"provider": "cx-main", "outcome": "503"}
    )
    script = Script(failing(503, {"Retry-After": "0.2"}), ok())
    waits = Waits()
    assert (await call(session, script, sleep=waits)).status == 200
    assert waits.asked == [0.2]
    after = REGISTRY.get_sample_value(
        "gateway_upstream_requests_total", {"provider": "cx-main", "outcome": "503"}
    )
    assert after == (before or 0) + 1


async def test_the_timeout_measures_the_provider_and_a_slot_is_waited_for_apart(session):
    """Real time, as the timeouts are the event loop's; one slot, a provider that stalls.
    A holds the slot and times out after 1s. B and C ask half a second later: B gets the
    slot when A gives it up and has its own whole second with the provider; C, queued
    behind B, gives up when its wait's budget ends (at 1.5s, half a second before B frees
    the slot) without asking the provider. So exactly two calls reach it, and only A and B
    count against the breaker."""
    timeout = 1.0
    script = Script((200, "{}", {}, 5.0))
    account = client(
        session, retries=0, timeout_seconds=timeout, max_concurrency=1, breaker_failures=3
    )

    def timeouts():
        labels = {"provider": "cx-main", "outcome": "timeout"}
        return REGISTRY.get_sample_value("gateway_upstream_requests_total", labels) or 0

    before = timeouts()
    async with scripted(script) as url:
        first = asyncio.create_task(account.request("GET", url, call="get", retry=True))
        await asyncio.sleep(timeout / 2)
        later = [account.request("GET", url, call="get", retry=True) for _ in range(2)]
        results = await asyncio.gather(first, *later, return_exceptions=True)
    messages = [result.message for result in results]
    assert messages == [
        "carrierx account 'cx-main' did not answer within 1s",
        "carrierx account 'cx-main' did not answer within 1s",
        "carrierx account 'cx-main' had no free connection within 1s",
    ]
    assert script.calls == 2
    assert timeouts() - before == 2, "a call that never left is not counted as sent"
    assert not account.breaker_open, "two failures of the provider, under the threshold of 3"


async def test_replies_that_the_adapter_reads_keep_the_breaker_closed(session):
    script = Script(failing(503), failing(404), failing(503))
    account = client(session, retries=0, breaker_failures=2)
    async with scripted(script) as url:
        for _ in range(3):
            with contextlib.suppress(ProviderUnavailable):
                await account.request("GET", url, call="get", retry=True)
        assert not account.breaker_open


async def test_a_reply_over_the_size_cap_is_refused_unread(session):
    huge = '{"items": ["' + "x" * 5000 + '"]}'
    for chunked in (False, True):

        async def handle(request, chunked=chunked):
            response = web.StreamResponse(headers={"Content-Type": "application/json"})
            if chunked:
                response.enable_chunked_encoding()
            else:
                response.content_length = len(huge)
            await response.prepare(request)
            await response.write(huge.encode())
            return response

        app = web.Application()
        app.router.add_get("/x", handle)
        async with serving(app) as root:
            with pytest.raises(ProviderError) as raised:
                await client(session, max_reply_bytes=4096).request(
                    "GET", root + "/x", call="get", retry=True
                )
        assert raised.value.message == "carrierx account 'cx-main' sent a reply over 4096 bytes"
        assert "xxx" not in str(raised.value)


async def test_concurrent_calls_stay_within_the_account_limit(session):
    running = peak = 0

    async def handle(request):
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.05)
        running -= 1
        return web.json_response({})

    app = web.Application()
    app.router.add_get("/x", handle)
    account = client(session, max_concurrency=3)
    async with serving(app) as root:
        await asyncio.gather(
            *(account.request("GET", root + "/x", call="get", retry=True) for _ in range(10))
        )
    assert peak == 3
