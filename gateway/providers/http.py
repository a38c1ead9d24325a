"""The one way adapters talk HTTP: a shared pooled session and, per account, its policy.

`AccountClient` holds what the account's config block sets: connect and total timeouts, a
concurrency limit, a cap on reply size, and a circuit breaker (purgatory) that opens after
consecutive unavailable replies and lets a probe through after a cool-down. Reads
(`retry=True`) are retried with full-jitter exponential backoff (tenacity) on connection
errors, timeouts, 5xx and 429, honouring `Retry-After` up to a cap; writes are tried once, since
a PATCH that timed out may have been applied. Transport failures and an open breaker become
`ProviderUnavailable`; a success body that is not JSON, or is larger than the cap, becomes
`ProviderError`. Messages name the provider kind and account, never a URL, a body or a
credential, because they travel to clients unchanged.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
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
from gateway.errors import ProviderError, ProviderUnavailable
from gateway.metrics import BREAKER_OPEN, UPSTREAM_LATENCY, UPSTREAM_REQUESTS

log = logging.getLogger(__name__)

_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class CallPolicy:
    """How the gateway treats one account's API, from its config block."""

    timeout_seconds: float = 10
    connect_timeout_seconds: float = 3
    attempts: int = 3
    backoff_seconds: float = 0.2
    max_backoff_seconds: float = 2.0
    retry_after_cap_seconds: float = 5.0
    breaker_failures: int = 5
    breaker_cooldown_seconds: float = 30
    max_concurrency: int = 8
    max_reply_bytes: int = 16 * 1024 * 1024

    @classmethod
    def of(cls, settings: ProviderSettings) -> CallPolicy:
        return cls(
            timeout_seconds=settings.timeout_seconds,
            connect_timeout_seconds=settings.connect_timeout_seconds,
            attempts=settings.retries + 1,
            backoff_seconds=settings.retry_backoff_seconds,
            max_backoff_seconds=settings.retry_backoff_max_seconds,
            retry_after_cap_seconds=settings.retry_after_max_seconds,
            breaker_failures=settings.breaker_failures,
            breaker_cooldown_seconds=settings.breaker_cooldown_seconds,
            max_concurrency=settings.max_concurrency,
            max_reply_bytes=settings.max_reply_bytes,
        )


class HttpReply(NamedTuple):
    """Status, decoded JSON body (None when an error reply carries no readable JSON), and the
    bytes as received, which the page cache keeps."""

    status: int
    body: Any
    payload: bytes = b""


class _Transient(Exception):
    """A failure worth another attempt; its message is already safe for clients."""

    def __init__(self, message: str, outcome: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.outcome = outcome
        self.retry_after = retry_after


def make_session(*, limit: int = 100, limit_per_host: int = 20) -> aiohttp.ClientSession:
    """The session the server creates once and hands to every adapter."""
    connector = aiohttp.TCPConnector(limit=limit, limit_per_host=limit_per_host, ttl_dns_cache=300)
    return aiohttp.ClientSession(connector=connector, raise_for_status=False)


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
        *,
        provider: str,
        kind: str,
        policy: CallPolicy,
        headers: Mapping[str, str],
    ) -> None:
        self._session = session
        self._provider = provider
        self._label = f"{kind} account '{provider}'"
        self._policy = policy
        self._headers = dict(headers)
        self._timeout = aiohttp.ClientTimeout(
            total=policy.timeout_seconds, sock_connect=policy.connect_timeout_seconds
        )
        self._slots = asyncio.Semaphore(policy.max_concurrency)
        self._breakers = AsyncCircuitBreakerFactory(
            default_threshold=policy.breaker_failures,
            default_ttl=policy.breaker_cooldown_seconds,
            exclude=[(BaseException, lambda exc: not isinstance(exc, ProviderUnavailable))],
        )

    async def breaker_open(self) -> bool:
        """Whether calls are being refused without asking the provider."""
        breaker = await self._breakers.get_breaker(self._provider)
        return breaker.context.state == OPENED

    async def request(self, method: str, url: str, *, retry: bool, **kwargs: Any) -> HttpReply:
        """One logical request; `kwargs` go to `session.request` (params, json).

        Returns any 2xx-4xx reply for the adapter to interpret; raises `ProviderUnavailable`
        when the account cannot be reached, keeps failing with 5xx/429 or its breaker is open,
        `ProviderError` for a 2xx body that is not JSON or is over the size cap.
        """
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._policy.attempts if retry else 1),
            wait=_wait(self._policy),
            retry=retry_if_exception_type(_Transient),
            before_sleep=lambda state: _log_retry(self._label, state),
            reraise=True,
        )
        try:
            async with await self._breakers.get_breaker(self._provider):
                try:
                    return await retrying(self._attempt, method, url, kwargs)
                except _Transient as exc:
                    raise ProviderUnavailable(self._provider, exc.message) from None
        except OpenedState:
            cooldown = self._policy.breaker_cooldown_seconds
            raise ProviderUnavailable(
                self._provider,
                f"{self._label} is failing; it is not asked again for up to {cooldown:g}s",
            ) from None
        finally:
            BREAKER_OPEN.labels(self._provider).set(int(await self.breaker_open()))

    async def _attempt(self, method: str, url: str, kwargs: dict[str, Any]) -> HttpReply:
        """One attempt, counted and timed by its outcome."""
        started = time.perf_counter()
        outcome = "cancelled"
        try:
            reply = await self._exchange(method, url, kwargs)
            outcome = str(reply.status)
            return reply
        except _Transient as exc:
            outcome = exc.outcome
            raise
        except ProviderError:
            outcome = "unreadable"
            raise
        finally:
            UPSTREAM_LATENCY.labels(self._provider).observe(time.perf_counter() - started)
            UPSTREAM_REQUESTS.labels(self._provider, outcome).inc()

    async def _exchange(self, method: str, url: str, kwargs: dict[str, Any]) -> HttpReply:
        label = self._label
        try:
            async with (
                self._slots,
                self._session.request(
                    method,
                    url,
                    timeout=self._timeout,
                    allow_redirects=False,
                    headers=self._headers,
                    **kwargs,
                ) as response,
            ):
                payload = await self._read(response)
                status = response.status
                retry_after = response.headers.get("Retry-After")
        except TimeoutError:
            seconds = self._policy.timeout_seconds
            raise _Transient(f"{label} did not answer within {seconds:g}s", "timeout") from None
        except aiohttp.ClientError:
            raise _Transient(f"{label} could not be reached", "unreachable") from None
        if status == 429:
            wait = parse_retry_after(retry_after)
            raise _Transient(f"{label} is rate limiting requests", str(status), wait)
        if status >= 500:
            raise _Transient(
                f"{label} is unavailable (HTTP {status})", parse_retry_after(retry_after)
            )
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
        cap = self._policy.max_reply_bytes
        too_large = ProviderError(self._provider, f"{self._label} sent a reply over {cap} bytes")
        if response.content_length is not None and response.content_length > cap:
            raise too_large
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.content.iter_chunked(_CHUNK):
            size += len(chunk)
            if size > cap:
                raise too_large
            chunks.append(chunk)
        return b"".join(chunks)


def _wait(policy: CallPolicy) -> Callable[[RetryCallState], float]:
    backoff = wait_random_exponential(
        multiplier=policy.backoff_seconds, max=policy.max_backoff_seconds
    )

    def wait(state: RetryCallState) -> float:
        failure = state.outcome.exception() if state.outcome else None
        if isinstance(failure, _Transient) and failure.retry_after is not None:
            return min(failure.retry_after, policy.retry_after_cap_seconds)
        return backoff(state)

    return wait


def _log_retry(label: str, state: RetryCallState) -> None:
    failure = state.outcome.exception() if state.outcome else None
    log.info("retrying %s after attempt %d: %s", label, state.attempt_number, failure)
