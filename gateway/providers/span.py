"""What part of an account's records a stream query can reach, before any call is made."""

from __future__ import annotations

import sys

from gateway.providers.base import StreamQuery
from gateway.records import Order, RecordFilter, SmsRecord, TimeWindow


def query_span(query: StreamQuery, account: str) -> TimeWindow | None:
    """The creation-time range that can hold answers, or None when nothing can match.

    Narrows the window by the filter's own time bounds, and short-cuts filters that exclude
    the account or every status, so adapters never call the provider for an empty answer.
    """
    narrowing = query.filter
    if query.limit <= 0:
        return None
    if narrowing.providers is not None and account not in narrowing.providers:
        return None
    if narrowing.statuses is not None and not narrowing.statuses:
        return None
    start, end = query.window.start, query.window.end
    if narrowing.created_after is not None:
        start = max(start, narrowing.created_after)
    if narrowing.created_before is not None:
        end = min(end, narrowing.created_before)
    return TimeWindow(start, end) if start < end else None


def wanted(query: StreamQuery, record: SmsRecord) -> bool:
    """The gateway-side check every returned record passes: window and whole filter."""
    return query.window.contains(record.created_at) and query.filter.matches(record)


def scan_query(
    window: TimeWindow, record_filter: RecordFilter, fields: frozenset[str]
) -> StreamQuery:
    """A scan in the terms of a stream query (oldest first from the window's edge, with no
    limit), so that scans narrow, push down and select fields exactly as streams do."""
    return StreamQuery(
        Order.ASC, window, record_filter, after=None, limit=sys.maxsize, fields=fields
    )
