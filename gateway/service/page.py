"""What a page is asked with and what it answers, as plain values."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from gateway.errors import ProviderFailure
from gateway.records import Order, RecordFilter, SmsRecord


@dataclass(frozen=True, slots=True)
class PagingRules:
    """Page-size limits and the default time window, from `[server]`."""

    default_page_size: int = 20
    max_page_size: int = 100
    default_window_days: int = 30


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


class Edge:
    """A record of a page and its cursor, made and signed only when first read: most
    queries select no edge cursor."""

    def __init__(self, record: SmsRecord, make_cursor: Callable[[], str]) -> None:
        self.record = record
        self._make_cursor = make_cursor

    @cached_property
    def cursor(self) -> str:
        return self._make_cursor()


@dataclass(frozen=True, slots=True)
class ProviderStatus:
    """How one account fared while serving a page."""

    provider: str
    ok: bool
    code: str | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class RecordPage:
    """One connection page, in the query's order; `continued_from` is the cursor it was
    asked from, which stands for both ends of an empty page."""

    edges: list[Edge]
    has_next_page: bool
    has_previous_page: bool
    continued_from: str | None
    provider_status: list[ProviderStatus]
    failures: list[ProviderFailure]

    @property
    def start_cursor(self) -> str | None:
        return self.edges[0].cursor if self.edges else self.continued_from

    @property
    def end_cursor(self) -> str | None:
        return self.edges[-1].cursor if self.edges else self.continued_from
