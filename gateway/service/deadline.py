"""A request's deadline: the moment by which it answers, whatever its accounts do.

It is set once, when a request starts, and carried by the service that serves the request,
so every account that request asks, in any operation, waits out what is left of one budget
rather than a fresh one each. An account still out at the deadline is that account's
`PROVIDER_UNAVAILABLE`, never the request's failure.

Only the wait is cut: the account's call itself goes on in the background within the
account's own timeout (see `gateway.providers.http`), so its outcome still reaches the
breaker and the page cache, and other requests waiting for the same page are not failed;
the server cancels such calls when it stops.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TypeVar

from gateway.errors import ProviderUnavailable, account_label
from gateway.providers.base import ProviderAdapter

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Deadline:
    """`seconds` of budget that run out at `at`, on the monotonic clock."""

    seconds: float
    at: float

    @classmethod
    def starting_now(cls, seconds: float) -> Deadline:
        return cls(seconds, time.monotonic() + seconds)

    def remaining(self) -> float:
        return max(0.0, self.at - time.monotonic())

    async def within(self, adapter: ProviderAdapter, answer: Awaitable[T]) -> T:
        """`answer` awaited until the deadline; raises `ProviderUnavailable` naming the
        account once the deadline passes first (the wait for `answer` is cancelled)."""
        scope = asyncio.timeout(self.remaining())
        try:
            async with scope:
                return await answer
        except TimeoutError:
            if not scope.expired():
                raise
            label = account_label(adapter.kind.value, adapter.name)
            raise ProviderUnavailable(
                adapter.name,
                f"{label} did not answer within the request's deadline of {self.seconds:g}s.",
            ) from None
