"""The page cache over both backends: hits, TTL, invalidation, single flight, no secrets."""

import asyncio

import pytest
import redis.asyncio as redis

from gateway.cache import MemoryBackend, PageCache, RedisBackend
from gateway.config import CacheSettings

SECRET = "tok-very-secret-123"


class Caches:
    """Page caches on one backend, and a way to let time pass for them."""

    def __init__(self, redis_url: str | None) -> None:
        self.redis_url = redis_url
        self.now = 0.0
        self.made: list[PageCache] = []

    def __call__(self, ttl: float = 30) -> PageCache:
        if self.redis_url is not None:
            backend = RedisBackend(self.redis_url, ttl)
        else:
            backend = MemoryBackend(ttl, 1024 * 1024, timer=lambda: self.now)
        cache = PageCache(backend)
        self.made.append(cache)
        return cache

    async def elapse(self, seconds: float) -> None:
        """The memory backend's clock moves on at once; Redis expires keys by its own clock,
        so there it is real time, a lower bound that a loaded machine only lengthens."""
        if self.redis_url is None:
            self.now += seconds
        else:
            await asyncio.sleep(seconds)


@pytest.fixture(params=["memory", "redis"])
async def make(request):
    caches = Caches(request.getfixturevalue("redis_url") if request.param == "redis" else None)
    yield caches
    for cache in caches.made:
        await cache.close()


class Loader:
    def __init__(self, value: bytes | None = b"page") -> None:
        self.calls = 0
        self.value = value

    async def __call__(self) -> bytes | None:
        self.calls += 1
        await asyncio.sleep(0.01)
        return self.value


async def test_a_page_is_loaded_once_then_served_from_the_cache(make):
    cache, load = make(), Loader()
    request = {
        "range": ["2026-11-01 00:00:00", "2026-11-02 00:00:00"],
        "token": 0,
        "case": id(load),
    }
    assert await cache.fetch("dfs", SECRET, request, load) == b"page"
    assert await cache.fetch("dfs", SECRET, request, load) == b"page"
    assert load.calls == 1
    assert await cache.fetch("dfs", SECRET, {**request, "token": 7}, load) == b"page"
    assert await cache.fetch("other", SECRET, request, load) == b"page"
    assert load.calls == 3


async def test_failures_are_not_cached(make):
    cache, load = make(), Loader(None)
    request = {"case": id(load)}
    assert await cache.fetch("cx", SECRET, request, load) is None
    assert await cache.fetch("cx", SECRET, request, load) is None
    assert load.calls == 2


async def test_invalidation_drops_the_accounts_pages_only(make):
    cache, load = make(), Loader()
    mine, theirs = {"case": id(load), "n": 1}, {"case": id(load), "n": 2}
    await cache.fetch("cx-a", SECRET, mine, load)
    await cache.fetch("cx-b", SECRET, theirs, load)
    await cache.invalidate("cx-a")
    await cache.fetch("cx-a", SECRET, mine, load)
    await cache.fetch("cx-b", SECRET, theirs, load)
    assert load.calls == 3


async def test_pages_expire_after_the_ttl(make):
    cache, load = make(ttl=0.2), Loader()
    request = {"case": id(load)}
    await cache.fetch("cx", SECRET, request, load)
    await make.elapse(0.35)
    await cache.fetch("cx", SECRET, request, load)
    assert load.calls == 2


async def test_concurrent_misses_load_once(make):
    cache, load = make(), Loader()
    request = {"case": id(load)}
    results = await asyncio.gather(*(cache.fetch("cx", SECRET, request, load) for _ in range(5)))
    assert results == [b"page"] * 5
    assert load.calls == 1


async def test_a_cancelled_caller_does_not_fail_the_others_waiting_for_its_page(make):
    cache, started, release = make(), asyncio.Event(), asyncio.Event()
    calls = 0

    async def load() -> bytes:
        nonlocal calls
        calls += 1
        started.set()
        await release.wait()
        return b"page"

    request = {"case": id(load)}
    first = asyncio.create_task(cache.fetch("cx", SECRET, request, load))
    await started.wait()
    second = asyncio.create_task(cache.fetch("cx", SECRET, request, load))
    await asyncio.sleep(0.05)
    first.cancel()
    release.set()
    assert await second == b"page"
    assert await cache.fetch("cx", SECRET, request, load) == b"page"
    assert calls == 1


async def test_two_replicas_share_pages_and_invalidations_through_redis(redis_url):
    first, second = PageCache(RedisBackend(redis_url, 30)), PageCache(RedisBackend(redis_url, 30))
    load = Loader()
    request = {"case": "shared", "id": id(load)}
    try:
        await first.fetch("cx", SECRET, request, load)
        await second.fetch("cx", SECRET, request, load)
        assert load.calls == 1
        await second.invalidate("cx")
        await first.fetch("cx", SECRET, request, load)
        assert load.calls == 2
        async with redis.Redis.from_url(redis_url) as client:
            keys = await client.keys("*")
        assert keys
        assert all(SECRET.encode() not in key for key in keys)
    finally:
        await first.close()
        await second.close()


async def test_ttl_zero_turns_the_cache_off():
    from gateway.cache import make_cache

    cache, load = make_cache(CacheSettings(ttl_seconds=0)), Loader()
    await cache.fetch("cx", SECRET, {}, load)
    await cache.fetch("cx", SECRET, {}, load)
    assert load.calls == 2


async def test_ttl_zero_needs_no_redis_even_when_redis_is_the_backend():
    from gateway.cache import make_cache

    settings = CacheSettings(backend="redis", redis_url="redis://127.0.0.1:1/0", ttl_seconds=0)
    cache, load = make_cache(settings), Loader()
    await cache.fetch("cx", SECRET, {}, load)
    await cache.invalidate("cx")
    await cache.close()
    assert load.calls == 1


async def test_the_memory_backend_holds_no_more_bytes_than_its_bound():
    """Five 40 KB pages under a 100 KB bound: two stay, the least recently read go first,
    and a page larger than the whole bound is served but never kept."""
    backend = MemoryBackend(30, max_bytes=100_000)
    cache = PageCache(backend)
    loads = [Loader(bytes([n]) * 40_000) for n in range(5)]
    for n, load in enumerate(loads):
        await cache.fetch("dfs", SECRET, {"page": n}, load)
        await cache.fetch("dfs", SECRET, {"page": 0}, loads[0])
        assert backend.stored_bytes <= 100_000
    assert backend.stored_bytes == 80_000
    for n in (4, 0):
        await cache.fetch("dfs", SECRET, {"page": n}, loads[n])
    assert [load.calls for load in loads] == [1, 1, 1, 1, 1], "the newest and the one read"
    for n in (1, 2, 3):
        await cache.fetch("dfs", SECRET, {"page": n}, loads[n])
    assert [load.calls for load in loads] == [1, 2, 2, 2, 1]
    huge = Loader(b"x" * 100_001)
    assert await cache.fetch("dfs", SECRET, {"page": "huge"}, huge) == huge.value
    await cache.fetch("dfs", SECRET, {"page": "huge"}, huge)
    assert huge.calls == 2
    assert backend.stored_bytes <= 100_000


async def test_the_memory_bound_comes_from_the_config_in_mib():
    from gateway.cache import make_cache

    cache = make_cache(CacheSettings(max_memory_mb=0.5))
    page = b"p" * 300_000
    loads = [Loader(page), Loader(page)]
    for n, load in enumerate(loads):
        await cache.fetch("dfs", SECRET, {"page": n}, load)
    for n, load in reversed(list(enumerate(loads))):
        await cache.fetch("dfs", SECRET, {"page": n}, load)
    assert [load.calls for load in loads] == [2, 1], "512 KiB hold one 300 KB page, not two"
