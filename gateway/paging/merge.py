"""K-way merge of per-account record streams into the gateway's total order."""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TypeVar

from gateway.records import Order, SmsRecord

Item = TypeVar("Item")


def merge_streams(
    streams: Iterable[Iterable[Item]], order: Order, record_of: Callable[[Item], SmsRecord]
) -> list[Item]:
    """Merge streams that are each already in `order` and each from one account.

    The items are records or anything that carries one (`record_of` finds it), so what
    travels with a record stays with it. The key is (created_at, account name); equal keys
    only occur inside one stream, and `heapq.merge` is stable, so each account's own order
    of same-time records is kept.
    """

    def key(item: Item) -> tuple[datetime, str]:
        record = record_of(item)
        return record.created_at, record.provider

    return list(heapq.merge(*streams, key=key, reverse=order is Order.DESC))
