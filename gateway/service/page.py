"""What a page is asked with and what it answers, as plain values."""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.errors import ProviderFailure
from gateway.records import Order, RecordFilter, SmsRecord


@dataclass(frozen=True, slots=True)
class PagingRules:
    """Page-size limits and the default time window, from `[server]`."""

    default_page_size: int = 20
    max_page_size: int = 100
    default_window_days: int = 30
    window_end_step_seconds: float = 0  # see `PagePlanner.window_for`


@dataclass(frozen=True, slots=True)
class PageRequest:
    """The connection arguments, as the client sent them."""

    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None
    filter: RecordFilter = field(default_factory=RecordFilter)
    order: Order = Order.DESC
    fields: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class Edge:
    record: SmsRecord
    cursor: str


@dataclass(frozen=True, slots=True)
class ProviderStatus:
    """How one account fared while serving a page."""

    provider: str
    ok: bool
    code: str | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class RecordPage:
    """One connection page, in the query's order."""

    edges: list[Edge]
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None
    provider_status: list[ProviderStatus]
    failures: list[ProviderFailure]
