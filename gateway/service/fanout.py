"""Asking every selected account for its stream at once."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from gateway.errors import ProviderError, ProviderFailure, account_label
from gateway.providers.base import ProviderAdapter, Stream
from gateway.service.deadline import Deadline
from gateway.service.planner import AccountAsk

log = logging.getLogger(__name__)

Answer = Stream | ProviderFailure
"""What one account gave for a page."""


async def fan_out(asks: Sequence[AccountAsk], deadline: Deadline) -> list[Answer]:
    """Each account's stream or failure, in the order of `asks`. One account failing, or
    still out at the request's deadline, is that account's answer, not the page's: the
    others still fill it."""
    return list(await asyncio.gather(*(_answer(ask, deadline) for ask in asks)))


async def _answer(ask: AccountAsk, deadline: Deadline) -> Answer:
    try:
        return await deadline.within(ask.adapter, ask.adapter.stream(ask.query))
    except ProviderFailure as failure:
        return failure
    except Exception:
        return unexpected_failure(ask.adapter)


def unexpected_failure(adapter: ProviderAdapter) -> ProviderError:
    """A bug met while asking an account: logged whole, and to the client that account's
    `PROVIDER_ERROR`, so the other accounts still answer. Call it while handling the error."""
    label = account_label(adapter.kind.value, adapter.name)
    log.exception("%s failed unexpectedly", label)
    return ProviderError(adapter.name, f"{label} failed unexpectedly.")
