"""The upstream page cache: provider replies kept for a short TTL, shared by replicas via Redis.

One DIDforSale page holds 500 rows and serves many GraphQL pages; a walk that continues on
another replica finds the same pages in Redis. Keys are digests of (account, the account's
credentials, the request), so no credential is ever stored in clear. Every account has a
generation number inside its keys: a write to one of its records bumps it, which drops every
cached page of that account at once, on every replica.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol, cast

import redis.asyncio as redis
from cachetools import TTLCache

from gateway.config import CacheSettings
from gateway.metrics import PAGE_CACHE_HITS, PAGE_CACHE_MISSES

_MIB = 1024 * 1024
_PREFIX = "sms-gateway:v1"


class CacheBackend(Protocol):
    """Where cached pages live: this process, or a Redis shared by every replica."""

    name: str
    """`memory` or `redis`, for the metrics."""

    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes) -> None: ...

    async def counter(self, key: str) -> int: ...

    async def increment(self, key: str) -> int: ...

    async def close(self) -> None: ...


class MemoryBackend:
    """An in-process TTL cache (cachetools) bounded by the bytes it holds: past `max_bytes`,
    the least recently used pages go first. Each entry counts its value's bytes plus
    `entry_overhead`: what else it costs the process (its key, the cache's bookkeeping),
    which only matters where values are small. `timer` is its clock, which a test can move
    on by hand."""

    name = "memory"

    def __init__(
        self,
        ttl_seconds: float,
        max_bytes: int,
        timer: Callable[[], float] = time.monotonic,
        *,
        entry_overhead: int = 0,
    ) -> None:
        self._pages: TTLCache[str, bytes] = TTLCache(
            maxsize=max_bytes,
            ttl=ttl_seconds,
            timer=timer,
            getsizeof=lambda value: len(value) + entry_overhead,
        )
        self._counters: dict[str, int] = {}

    @property
    def stored_bytes(self) -> int:
        """The bytes the pages held now count for, expired ones included until they are
        dropped."""
        return int(self._pages.currsize)

    async def get(self, key: str) -> bytes | None:
        return self._pages.get(key)

    async def set(self, key: str, value: bytes) -> None:
        if self._pages.getsizeof(value) <= self._pages.maxsize:
            self._pages[key] = value

    async def counter(self, key: str) -> int:
        return self._counters.get(key, 0)

    async def increment(self, key: str) -> int:
        self._counters[key] = self._counters.get(key, 0) + 1
        return self._counters[key]

    async def close(self) -> None:
        self._pages.clear()


class RedisBackend:
    """Redis, so that every replica reads the pages any replica fetched."""

    name = "redis"

    def __init__(self, url: str, ttl_seconds: float) -> None:
        self._redis = redis.Redis.from_url(url)
        self._ttl_ms = max(1, int(ttl_seconds * 1000))

    async def get(self, key: str) -> bytes | None:
        # `decode_responses` is off, so Redis hands back the bytes it was given.
        return cast("bytes | None", await self._redis.get(key))

    async def set(self, key: str, value: bytes) -> None:
        await self._redis.set(key, value, px=self._ttl_ms)

    async def counter(self, key: str) -> int:
        value = await self._redis.get(key)
        return int(value) if value is not None else 0

    async def increment(self, key: str) -> int:
        return int(await self._redis.incr(key))

    async def close(self) -> None:
        await self._redis.aclose()


class PageCache:
    """Provider replies by (account, request); concurrent misses of one key load once.

    The load runs as a task of its own, so a caller that is cancelled (its client went away)
    neither cancels the load nor fails the other callers waiting for the same page.
    """

    def __init__(self, backend: CacheBackend, *, enabled: bool = True) -> None:
        self._backend = backend
        self._enabled = enabled
        self._loading: dict[str, asyncio.Task[bytes | None]] = {}

    @classmethod
    def disabled(cls) -> PageCache:
        """A cache that keeps nothing: every fetch loads."""
        return cls(MemoryBackend(1, max_bytes=0), enabled=False)

    async def fetch(
        self,
        account: str,
        secret: str,
        request: Mapping[str, Any],
        load: Callable[[], Awaitable[bytes | None]],
    ) -> bytes | None:
        """The cached reply, else `load()`'s; a None from `load` (a failure) is not kept."""
        if not self._enabled:
            return await load()
        key = await self._key(account, secret, request)
        cached = await self._backend.get(key)
        if cached is not None:
            PAGE_CACHE_HITS.labels(account, self._backend.name).inc()
            return cached
        PAGE_CACHE_MISSES.labels(account, self._backend.name).inc()
        pending = self._loading.get(key)
        if pending is None:
            pending = asyncio.create_task(self._load(key, load))
            self._loading[key] = pending
            pending.add_done_callback(lambda task: self._loaded(key, task))
        return await asyncio.shield(pending)

    async def _load(self, key: str, load: Callable[[], Awaitable[bytes | None]]) -> bytes | None:
        value = await load()
        if value is not None:
            await self._backend.set(key, value)
        return value

    def _loaded(self, key: str, task: asyncio.Task[bytes | None]) -> None:
        if self._loading.get(key) is task:
            del self._loading[key]
        if not task.cancelled():
            task.exception()  # retrieved here too, for when every caller has gone

    async def invalidate(self, account: str) -> None:
        """Drops every cached page of an account, on every replica sharing the backend."""
        if self._enabled:
            await self._backend.increment(self._generation_key(account))

    async def close(self) -> None:
        await self._backend.close()

    async def _key(self, account: str, secret: str, request: Mapping[str, Any]) -> str:
        generation = await self._backend.counter(self._generation_key(account))
        material = json.dumps([account, secret, request], sort_keys=True, default=str)
        digest = hashlib.sha256(material.encode()).hexdigest()
        return f"{_PREFIX}:page:{digest}:{generation}"

    @staticmethod
    def _generation_key(account: str) -> str:
        digest = hashlib.sha256(account.encode()).hexdigest()[:32]
        return f"{_PREFIX}:generation:{digest}"


def make_cache(settings: CacheSettings) -> PageCache:
    """The backend chosen in `[cache]`; a TTL of 0 turns caching off (and Redis is not used)."""
    if settings.ttl_seconds <= 0:
        return PageCache.disabled()
    if settings.backend == "redis":
        return PageCache(RedisBackend(settings.redis_url, settings.ttl_seconds))
    return PageCache(MemoryBackend(settings.ttl_seconds, int(settings.max_memory_mb * _MIB)))
