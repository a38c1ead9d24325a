"""Automatic persisted queries as Apollo's clients speak them: a request may carry
`extensions.persistedQuery = {version: 1, sha256Hash}` instead of its document.

A hash the store holds stands for its document; an unknown one is answered with
`PersistedQueryNotFound`, and the client sends the document with its hash, which is checked,
and kept once it ran (a document that does not parse, validate or fit the limits would only
fill the store). The store is the page cache's own kind of backend under a key prefix of its own:
in-process and bounded by the bytes it costs (least recently used first), or Redis when the
page cache is there, so every replica knows a document any of them was sent.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping

from gateway.cache import CacheBackend, MemoryBackend, RedisBackend
from gateway.config import CacheSettings
from gateway.errors import BadUserInput, PersistedQueryNotFound
from gateway.metrics import PERSISTED_QUERIES

_PREFIX = "sms-gateway:persisted-query:"
_MIB = 1024 * 1024
_SHA256_HEX = re.compile(r"^[0-9a-fA-F]{64}$")

ENTRY_OVERHEAD_BYTES = len(_PREFIX) + 64 + 384
"""What one kept document costs the process besides its text: its key, and the cache's
bookkeeping with the headers of both objects (about 340 bytes, measured with tracemalloc
on CPython 3.12), so that many tiny documents cannot hold far more than the bound says."""

PERSISTED_QUERY_TTL_SECONDS = 24 * 3600
"""How long a document is kept after it was sent: clients send the same few documents all
day, and one that expired costs a single extra round trip."""


class PersistedQueries:
    """Documents by the SHA-256 of their text."""

    def __init__(self, backend: CacheBackend) -> None:
        self._backend = backend

    @classmethod
    def from_settings(cls, settings: CacheSettings) -> PersistedQueries:
        """Redis (with the page cache's connection settings) when `[cache] backend` is
        "redis", else this process's memory, `persisted_queries_max_mb` at most."""
        if settings.backend == "redis":
            return cls(RedisBackend(settings.redis_url, PERSISTED_QUERY_TTL_SECONDS))
        max_bytes = int(settings.persisted_queries_max_mb * _MIB)
        return cls(
            MemoryBackend(
                PERSISTED_QUERY_TTL_SECONDS, max_bytes, entry_overhead=ENTRY_OVERHEAD_BYTES
            )
        )

    async def document(
        self, query: str | None, extensions: Mapping[str, object] | None
    ) -> str | None:
        """The document the request stands for: its own `query` when it names no persisted
        query; the stored one for a hash alone (`PersistedQueryNotFound` when there is
        none); its own, checked against its hash, when it sends both (`register` keeps it
        once it ran)."""
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            return query
        sha256 = _requested_hash(persisted)
        key = _PREFIX + sha256
        if query is None:
            stored = await self._backend.get(key)
            if stored is None:
                PERSISTED_QUERIES.labels(outcome="miss").inc()
                raise PersistedQueryNotFound()
            PERSISTED_QUERIES.labels(outcome="hit").inc()
            return stored.decode()
        if hashlib.sha256(query.encode()).hexdigest() != sha256:
            raise BadUserInput(
                "extensions.persistedQuery.sha256Hash is not the SHA-256 of the query sent with it."
            )
        return query

    async def register(self, query: str, extensions: Mapping[str, object] | None) -> None:
        """Keeps a document its request sent with its hash (already checked by `document`);
        the view calls it only for a document that ran."""
        persisted = (extensions or {}).get("persistedQuery")
        if persisted is None:
            return
        await self._backend.set(_PREFIX + _requested_hash(persisted), query.encode())
        PERSISTED_QUERIES.labels(outcome="registered").inc()

    async def close(self) -> None:
        await self._backend.close()


def _requested_hash(persisted: object) -> str:
    """The hash a `persistedQuery` extension names, lower case; refuses any other shape."""
    if not isinstance(persisted, Mapping) or persisted.get("version") != 1:
        raise BadUserInput("extensions.persistedQuery must be {version: 1, sha256Hash}.")
    sha256 = persisted.get("sha256Hash")
    if not isinstance(sha256, str) or not _SHA256_HEX.match(sha256):
        raise BadUserInput(
            "extensions.persistedQuery.sha256Hash must be 64 hexadecimal digits (SHA-256)."
        )
    return sha256.lower()
