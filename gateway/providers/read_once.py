"""Replies read once: what a reply's bytes decode to, kept by the digest of those bytes.

A cached reply comes back as the very same bytes to every page that reads it (a first page
asked again within the cache's TTL, a DIDforSale 500-row page serving many GraphQL pages,
a descending walk listing one window again), and mapping its records costs more than the
rest of such a page. Keyed by content, an
entry can never be served for other bytes, so it needs no expiry of its own; it is bounded
by count, and the values are immutable records.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextlib import suppress
from typing import Generic, TypeVar

from cachetools import LRUCache

T = TypeVar("T")


class ReadOnce(Generic[T]):
    """Readings of at most `maxsize` in all, each the size `getsizeof` gives (1 by
    default), the least recently used dropped first."""

    def __init__(self, maxsize: int, getsizeof: Callable[[T], float] | None = None) -> None:
        self._readings: LRUCache[bytes, T] = LRUCache(maxsize=maxsize, getsizeof=getsizeof)

    def read(self, payload: bytes, reading: Callable[[], T]) -> T:
        """`reading()`'s value for these bytes, computed the first time they are seen."""
        digest = hashlib.blake2b(payload, digest_size=16).digest()
        found = self._readings.get(digest)
        if found is None:
            found = reading()
            with suppress(ValueError):  # larger than the whole bound: read, not kept
                self._readings[digest] = found
        return found
