"""K-way merge of per-account record streams into the gateway's total order."""

from __future__ import annotations

import heapq
from collections.abc import Iterable

from gateway.records import Order, SmsRecord


def merge_streams(streams: Iterable[list[SmsRecord]], order: Order) -> list[SmsRecord]:
    """Merge streams that are each already in `order` and each from one account.

    The key is (created_at, account name); equal keys only occur inside one stream, and
    `heapq.merge` is stable, so each account's own order of same-time records is kept.
    """
    return list(
        heapq.merge(
            *streams,
            key=lambda record: (record.created_at, record.provider),
            reverse=order is Order.DESC,
        )
    )
