"""The one way adapters talk HTTP: a shared pooled session, per-account timeouts, retries.

Reads (`retry=True`) are retried with full-jitter exponential backoff on connection errors,
timeouts, 5xx and 429, honouring `Retry-After` up to a cap; writes are tried once. Transport
failures become `ProviderUnavailable`, a success body that is not JSON becomes `ProviderError`.
Messages name the provider kind and account, never a URL, a body or a credential, because they
travel to clients unchanged.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any, NamedTuple

import aiohttp
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from gateway.errors import ProviderError, ProviderUnavailable

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard a read tries before the account is reported unavailable."""

    attempts: int = 3
    backoff_seconds: float = 0.2
    max_backoff_seconds: float = 2.0
    retry_after_cap_seconds: float = 5.0


DEFAULT_RETRY = RetryPolicy()


class HttpReply(NamedTuple):
    """Status, decoded JSON body (None when an error reply carries no readable JSON), and the
    bytes as received, which the page cache keeps."""

    status: int
    body: Any
    payload: bytes = b""


class _Transient(Exception):
    """A failure worth another attempt; its message is already safe for clients."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
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


async def request_json(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    provider: str,
    kind: str,
    timeout: float,
    retry: bool,
    policy: RetryPolicy = DEFAULT_RETRY,
    **kwargs: Any,
) -> HttpReply:
    """One logical request to an account; `kwargs` go to `session.request` (params, json, headers).

    Returns any 2xx-4xx reply for the adapter to interpret; raises `ProviderUnavailable` when
    the account cannot be reached or keeps failing with 5xx/429, `ProviderError` for a 2xx body
    that is not JSON.
    """
    label = f"{kind} account '{provider}'"
    retrying = AsyncRetrying(
        stop=stop_after_attempt(policy.attempts if retry else 1),
        wait=_wait(policy),
        retry=retry_if_exception_type(_Transient),
        before_sleep=lambda state: _log_retry(label, state),
        reraise=True,
    )
    try:
        return await retrying(_attempt, session, method, url, label, provider, timeout, kwargs)
    except _Transient as exc:
        raise ProviderUnavailable(provider, exc.message) from None


async def _attempt(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    label: str,
    provider: str,
    timeout: float,
    kwargs: dict[str, Any],
) -> HttpReply:
    try:
        async with session.request(
            method,
            url,
            timeout=aiohttp.ClientTimeout(total=timeout),
            allow_redirects=False,
            **kwargs,
        ) as response:
            payload = await response.read()
            status = response.status
            retry_after = response.headers.get("Retry-After")
    except TimeoutError:
        raise _Transient(f"{label} did not answer within {timeout:g}s") from None
    except aiohttp.ClientError:
        raise _Transient(f"{label} could not be reached") from None
    if status == 429:
        raise _Transient(f"{label} is rate limiting requests", parse_retry_after(retry_after))
    if status >= 500:
        raise _Transient(f"{label} is unavailable (HTTP {status})", parse_retry_after(retry_after))
    try:
        body = decode_json(payload) if payload.strip() else None
    except ValueError:
        if status < 300:
            raise ProviderError(provider, f"{label} sent a reply that is not JSON") from None
        body = None
    return HttpReply(status, body, payload)


def _wait(policy: RetryPolicy) -> Callable[[RetryCallState], float]:
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
