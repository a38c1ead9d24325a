"""The one way adapters talk HTTP: a shared pooled session and, per account, its policy.

`AccountClient` applies what the account's config block sets: connect and total timeouts,
a cap on reply size, and a circuit breaker (purgatory) that opens after consecutive unavailable
requests and lets calls probe the account again after a cool-down. At most `max_concurrency`
calls of an account are out at once. The total timeout measures the provider alone: it starts
once a call holds one of those slots, so a busy gateway does not blame a fast provider. The
wait for a slot has a budget of its own (the same number of seconds, and the request's
deadline cuts its caller's wait sooner); a call handed a slot after its budget is spent gives
the slot back without asking the provider, and such a call is not retried and does not count
against the breaker, since the provider was never asked. Reads (`retry=True`) are
retried with full-jitter exponential backoff (tenacity) on connection errors, timeouts, 5xx
and 429, honouring `Retry-After` up to a cap; writes are tried once, since a PATCH that timed
out may have been applied. Each request runs as a task of its own, so a caller that goes
away neither cuts it short nor leaves the breaker unaware of how it ended; such calls are
cancelled when the session is closed with `close_session`.

Every call sent is counted for the request it serves (`upstream_tally`); every failed attempt
and every change of the breaker's state is a log line of its own, in that request's context.

Transport failures and an open breaker become `ProviderUnavailable`; a success body that is
not JSON, or is larger than the cap, becomes `ProviderError` (a reply, even an unreadable
one, shows the account is reachable, so it does not count against the breaker). Messages
name the provider kind and account, never a URL, a body or a credential, because they
travel to clients unchanged.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import weakref
from collections.abc import Awaitable, Callable, Iterator, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any, NamedTuple

import aiohttp
from purgatory import AsyncCircuitBreakerFactory
from purgatory.domain.model import OPENED, OpenedState
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from gateway.config import ProviderSettings
from gateway.errors import ProviderError, ProviderUnavailable, account_label
from gateway.logs import get_logger
from gateway.metrics import BREAKER_OPEN, UPSTREAM_LATENCY, UPSTREAM_REQUESTS
from gateway.tracing import upstream_attempt
from gateway.upstream_tally import note_upstream_call

log = get_logger(__name__)

_CHUNK = 64 * 1024


class HttpReply(NamedTuple):
    """Status, decoded JSON body (None when an error reply carries no readable JSON), and the
    bytes as received, which the page cache keeps."""

    status: int
    body: Any
    payload: bytes = b""


class _Transient(Exception):
    """A failure worth another attempt; its message is already safe for clients."""

    def __init__(self, message: str, *, outcome: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.outcome = outcome
        self.retry_after = retry_after


class _NoSlot(Exception):
    """No slot came free within the wait's budget: the gateway is busy, not the provider."""

    outcome = "no_slot"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


_CALLS: weakref.WeakKeyDictionary[aiohttp.ClientSession, set[asyncio.Task[HttpReply]]] = (
    weakref.WeakKeyDictionary()
)
"""The requests running on each session, whether or not their callers still wait."""


def make_session(*, limit: int = 100, limit_per_host: int = 20) -> aiohttp.ClientSession:
    """The session the server creates once and hands to every adapter."""
    connector = aiohttp.TCPConnector(limit=limit, limit_per_host=limit_per_host, ttl_dns_cache=300)
    return aiohttp.ClientSession(connector=connector, raise_for_status=False)


async def close_session(session: aiohttp.ClientSession) -> None:
    """Cancels the requests still running on `session` (those their callers gave up on),
    then closes it. Closed under a running request, the session would cut its connection,
    and aiohttp would send the GET again on a fresh one while everything shuts down."""
    calls = _CALLS.pop(session, set())
    for call in calls:
        call.cancel()
    await asyncio.gather(*calls, return_exceptions=True)
    await session.close()


def decode_json(payload: bytes) -> Any:
    """JSON with every non-integer number as `Decimal`, so money never passes through float."""
    return json.loads(payload, parse_float=Decimal, parse_constant=_reject_constant)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-finite number {name}")


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP date."""
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())


class AccountClient:
    """One account's way to its API: the shared session under the account's own policy."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        settings: ProviderSettings,
        *,
        kind: str,
        headers: Mapping[str, str],
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """`sleep` waits between attempts; a test passes one that notes the waits asked."""
        self._session = session
        self._sleep = sleep
        self._settings = settings
        self._provider = settings.name
        self._kind = kind
        self._label = account_label(kind, settings.name)
        self._headers = dict(headers)
        self._timeout = aiohttp.ClientTimeout(sock_connect=settings.connect_timeout_seconds)
        self._slots = asyncio.Semaphore(settings.max_concurrency)
        self._breaker_state = "closed"
        self._breakers = AsyncCircuitBreakerFactory(
            default_threshold=settings.breaker_failures,
            default_ttl=settings.breaker_cooldown_seconds,
            exclude=[(BaseException, lambda exc: not isinstance(exc, ProviderUnavailable))],
        )
        self._breakers.add_listener(self._breaker_changed)
        BREAKER_OPEN.labels(self._provider).set(0)

    @property
    def breaker_open(self) -> bool:
        """Whether calls are refused without asking the provider (until the next call after
        the cool-down, which probes it)."""
        return self._breaker_state == OPENED

    def _breaker_changed(self, name: str, event_type: str, event: Any) -> None:
        if event_type == "state_changed":
            self._breaker_state = event.state
            BREAKER_OPEN.labels(self._provider).set(int(event.state == OPENED))
            log.warning(
                "upstream breaker changed",
                account=self._provider,
                kind=self._kind,
                state=event.state,
            )

    async def request(
        self, method: str, url: str, *, call: str, retry: bool, **kwargs: Any
    ) -> HttpReply:
        """One logical request; `call` says what it does for traces (list, get, update,
        check); `kwargs` go to `session.request` (params, json).

        Returns any 2xx-4xx reply for the adapter to interpret; raises `ProviderUnavailable`
        when the account cannot be reached, keeps failing with 5xx/429 or its breaker is open,
        `ProviderError` for a 2xx body that is not JSON or is over the size cap.
        """
        task = asyncio.create_task(self._guarded(method, url, call, retry, kwargs))
        calls = _CALLS.setdefault(self._session, set())
        calls.add(task)
        task.add_done_callback(calls.discard)
        task.add_done_callback(_settle)
        return await asyncio.shield(task)

    async def _guarded(
        self, method: str, url: str, call: str, retry: bool, kwargs: dict[str, Any]
    ) -> HttpReply:
        settings = self._settings
        retrying = AsyncRetrying(
            stop=stop_after_attempt(settings.retries + 1 if retry else 1),
            wait=_wait(settings),
            retry=retry_if_exception_type(_Transient),
            sleep=self._sleep,
            reraise=True,
        )
        attempts = itertools.count(1)
        try:
            async with await self._breakers.get_breaker(self._provider):
                try:
                    return await retrying(self._attempt, method, url, call, attempts, kwargs)
                except _Transient as exc:
                    raise ProviderUnavailable(self._provider, exc.message) from None
        except _NoSlot as busy:
            raise ProviderUnavailable(self._provider, busy.message) from None
        except OpenedState as refused:
            refused.with_traceback(None)  # purgatory raises one instance again and again
            cooldown = settings.breaker_cooldown_seconds
            raise ProviderUnavailable(
                self._provider,
                f"{self._label} is failing; it is not asked again for up to {cooldown:g}s",
            ) from None

    async def _attempt(
        self, method: str, url: str, call: str, attempts: Iterator[int], kwargs: dict[str, Any]
    ) -> HttpReply:
        """One attempt (numbered from 1 by `attempts`): a slot, then the exchange within the
        total timeout; counted by outcome, traced, and logged when it fails."""
        attempt = next(attempts)
        with upstream_attempt(
            account=self._provider, kind=self._kind, call=call, method=method, attempt=attempt
        ) as traced:
            await self._take_slot()
            note_upstream_call(self._provider)
            try:
                reply = await self._timed_exchange(method, url, kwargs)
            except _Transient as failure:
                self._log_failure(attempt, failure.outcome, failure.message)
                raise
            except ProviderError as failure:
                self._log_failure(attempt, "unreadable", failure.message)
                raise
            finally:
                self._slots.release()
            traced.answered(reply.status)
            return reply

    def _log_failure(self, attempt: int, code: str, message: str) -> None:
        log.warning(
            "upstream call failed",
            account=self._provider,
            kind=self._kind,
            code=code,
            attempt=attempt,
            message=message,
        )

    async def _take_slot(self) -> None:
        """Waits for a slot within the wait's budget. The budget is checked again once the
        slot is held: a slot handed over in the very instant the budget ran out is given back
        rather than spent on a call that has no time left."""
        seconds = self._settings.timeout_seconds
        loop = asyncio.get_running_loop()
        budget_ends = loop.time() + seconds
        try:
            async with asyncio.timeout_at(budget_ends):
                await self._slots.acquire()
        except TimeoutError:
            pass
        else:
            if loop.time() < budget_ends:
                return
            self._slots.release()
        raise _NoSlot(f"{self._label} had no free connection within {seconds:g}s")

    async def _timed_exchange(self, method: str, url: str, kwargs: dict[str, Any]) -> HttpReply:
        seconds = self._settings.timeout_seconds
        outcome = "unreadable"
        try:
            async with asyncio.timeout(seconds):
                started = time.perf_counter()
                try:
                    reply = await self._exchange(method, url, kwargs)
                finally:
                    UPSTREAM_LATENCY.labels(self._provider).observe(time.perf_counter() - started)
            outcome = str(reply.status)
            return reply
        except _Transient as exc:
            outcome = exc.outcome
            raise
        except TimeoutError:
            outcome = "timeout"
            message = f"{self._label} did not answer within {seconds:g}s"
            raise _Transient(message, outcome=outcome) from None
        except asyncio.CancelledError:
            outcome = "cancelled"
            raise
        finally:
            UPSTREAM_REQUESTS.labels(self._provider, outcome).inc()

    async def _exchange(self, method: str, url: str, kwargs: dict[str, Any]) -> HttpReply:
        label = self._label
        try:
            async with self._session.request(
                method,
                url,
                timeout=self._timeout,
                allow_redirects=False,
                headers=self._headers,
                **kwargs,
            ) as response:
                payload = await self._read(response)
                status = response.status
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
        except aiohttp.ConnectionTimeoutError:
            seconds = self._settings.connect_timeout_seconds
            message = f"{label} could not be reached within {seconds:g}s"
            raise _Transient(message, outcome="unreachable") from None
        except aiohttp.ClientPayloadError:
            raise _Transient(f"{label} broke off its reply", outcome="broken") from None
        except aiohttp.ClientError:
            raise _Transient(f"{label} could not be reached", outcome="unreachable") from None
        if status == 429:
            message = f"{label} is rate limiting requests"
            raise _Transient(message, outcome=str(status), retry_after=retry_after)
        if status >= 500:
            message = f"{label} is unavailable (HTTP {status})"
            raise _Transient(message, outcome=str(status), retry_after=retry_after)
        try:
            body = decode_json(payload) if payload.strip() else None
        except ValueError:
            if status < 300:
                raise ProviderError(
                    self._provider, f"{label} sent a reply that is not JSON"
                ) from None
            body = None
        return HttpReply(status, body, payload)

    async def _read(self, response: aiohttp.ClientResponse) -> bytes:
        """The body, refused once it passes the cap rather than held whole in memory."""
        cap = self._settings.max_reply_bytes
        declared = response.content_length
        chunks: list[bytes] = []
        size = 0
        if declared is None or declared <= cap:
            async for chunk in response.content.iter_chunked(_CHUNK):
                size += len(chunk)
                if size > cap:
                    break
                chunks.append(chunk)
        if (declared or 0) > cap or size > cap:
            raise ProviderError(self._provider, f"{self._label} sent a reply over {cap} bytes")
        return b"".join(chunks)


def _settle(task: asyncio.Task[HttpReply]) -> None:
    """Retrieves the outcome of a request whose caller went away, so none goes unread."""
    if not task.cancelled():
        task.exception()


def _wait(settings: ProviderSettings) -> Callable[[RetryCallState], float]:
    backoff = wait_random_exponential(
        multiplier=settings.retry_backoff_seconds, max=settings.retry_backoff_max_seconds
    )

    def wait(state: RetryCallState) -> float:
        failure = state.outcome.exception() if state.outcome else None
        if isinstance(failure, _Transient) and failure.retry_after is not None:
            return min(failure.retry_after, settings.retry_after_max_seconds)
        return backoff(state)

    return wait
