"""The contract between the service and each provider kind.

A provider adapter is the only code that knows a provider's API. The service asks it for
*streams*: the records of one account in creation order, strictly after a position in the
gateway's total order, narrowed by a filter. Positions are `Boundary` values that any adapter
can interpret: a boundary set by another account compares by (created_at, account name) alone;
a boundary set by the adapter's own account also names its record, so the adapter resolves
same-time ties in its native order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from gateway.paging.position import Boundary, is_after
from gateway.records import (
    Order,
    ProviderCapability,
    ProviderKind,
    RecordFilter,
    SmsRecord,
    TimeWindow,
)

__all__ = ["Boundary", "ProviderAdapter", "StreamQuery", "is_after"]


@dataclass(frozen=True, slots=True)
class StreamQuery:
    """Ask for at most `limit` records matching `filter` inside `window`, in `order`,
    strictly after `after` in that order (from the window's edge when `after` is None)."""

    order: Order
    window: TimeWindow
    filter: RecordFilter
    after: Boundary | None
    limit: int


class ProviderAdapter(Protocol):
    """One configured account of one provider kind."""

    @property
    def name(self) -> str:
        """The account name from config; breaks creation-time ties between accounts."""
        ...

    @property
    def kind(self) -> ProviderKind: ...

    @property
    def capabilities(self) -> frozenset[ProviderCapability]: ...

    async def stream(self, query: StreamQuery) -> list[SmsRecord]:
        """Up to `query.limit` matching records after `query.after`, in `query.order`.

        Fewer than `limit` means the stream is exhausted. Every returned record matches
        `query.filter` and lies in `query.window`: what the API cannot narrow, the adapter
        filters itself, fetching on until it has `limit` records or the API has no more.
        Raises `ProviderFailure` subclasses.
        """
        ...

    async def get_many(self, node_keys: list[str]) -> list[SmsRecord | None]:
        """Records by node key (the part of a global id after the account name), in order;
        None where the provider has no such record. Raises `MalformedRecordId` for a key
        this kind could not have produced."""
        ...

    async def update_user_data(self, node_key: str, user_data: str | None) -> SmsRecord | None:
        """Store `user_data` on a record and return the updated record, None if unknown.

        Raises `UnsupportedByProvider` where the API cannot store it."""
        ...

    async def check(self) -> None:
        """A cheap authenticated call, for readiness; raises `ProviderFailure`."""
        ...
