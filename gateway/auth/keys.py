"""Where JWT signing keys come from: a JWKS URL, a JWKS file, or a shared HS256 secret.

Each source pins the algorithms it accepts, and each asymmetric key the one algorithm of its
type, so that a token cannot choose how it is checked: `alg: none`, an HS256 token "signed"
with a public key, or an RS256 token against the HS256 secret never find a key.

A JWKS URL is read through PyJWT's `PyJWKClient`, which uses blocking `urllib`: each fetch
runs in a worker thread under a timeout, and concurrent requests share one fetch, so the
event loop never waits on the identity provider. Keys are cached and refetched when older
than `lifespan_seconds` or when a token names an unknown `kid`, at most once per
`cooldown_seconds`, so a stream of made-up `kid`s cannot flood the identity provider. When a
fetch fails the keys already held keep working; with none held, tokens are refused
(`Unauthenticated`) and start-up goes on.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import jwt
from pydantic import SecretStr

from gateway.errors import ConfigError, Unauthenticated

log = logging.getLogger(__name__)

ASYMMETRIC = frozenset({"RS256", "ES256"})
SYMMETRIC = frozenset({"HS256"})
UNKNOWN_KEY = "the bearer token is signed with a key this gateway does not know"
NO_KEYS = "the keys to check the bearer token cannot be fetched now; try again later"


class KeySource(Protocol):
    """What the JWT verifier needs: the algorithms it may accept, and the key for a token."""

    @property
    def algorithms(self) -> frozenset[str]: ...

    async def start(self) -> None:
        """Prepares what can be prepared before the first request; never raises."""

    async def key_for(self, kid: str | None, algorithm: str) -> jwt.PyJWK | bytes:
        """The key to check a token whose header names `kid` and `algorithm`, which is one
        of `algorithms`; raises `Unauthenticated` when there is none."""


class SharedSecret:
    """`hs256_secret`: one symmetric key, for HS256 only."""

    algorithms = SYMMETRIC

    def __init__(self, secret: SecretStr) -> None:
        self._secret = secret.get_secret_value().encode()

    async def start(self) -> None:
        return None

    async def key_for(self, kid: str | None, algorithm: str) -> bytes:
        return self._secret


class JwksFile:
    """`jwks_file`: a JWKS document read once at start-up; a bad file stops start-up."""

    algorithms = ASYMMETRIC

    def __init__(self, path: Path) -> None:
        try:
            self._keys = tuple(jwt.PyJWKSet.from_json(path.read_text(encoding="utf-8")).keys)
        except OSError as exc:
            raise ConfigError("auth.jwt.jwks_file", f"cannot read {path}: {exc.strerror}") from None
        except (jwt.PyJWTError, ValueError) as exc:
            raise ConfigError("auth.jwt.jwks_file", f"{path} is not a JWKS: {exc}") from None
        if not any(_pinned(key) for key in self._keys):
            raise ConfigError("auth.jwt.jwks_file", f"{path} holds no RS256 or ES256 key")

    async def start(self) -> None:
        return None

    async def key_for(self, kid: str | None, algorithm: str) -> jwt.PyJWK:
        key = pick(self._keys, kid, algorithm)
        if key is None:
            raise Unauthenticated(UNKNOWN_KEY)
        return key


class JwksUrl:
    """`jwks_url`: a JWKS document fetched from the identity provider and kept a while."""

    algorithms = ASYMMETRIC

    def __init__(
        self,
        url: str,
        *,
        timeout_seconds: float = 5,
        lifespan_seconds: float = 300,
        cooldown_seconds: float = 10,
    ) -> None:
        self._url = url
        self._client = jwt.PyJWKClient(url, cache_jwk_set=False, timeout=timeout_seconds)
        self._timeout = timeout_seconds
        self._lifespan = lifespan_seconds
        self._cooldown = cooldown_seconds
        self._keys: tuple[jwt.PyJWK, ...] = ()
        self._fetched_at = -math.inf
        self._tried_at = -math.inf
        self._fetching: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._refresh()

    async def key_for(self, kid: str | None, algorithm: str) -> jwt.PyJWK:
        fresh = time.monotonic() - self._fetched_at < self._lifespan
        key = pick(self._keys, kid, algorithm) if fresh else None
        if key is None:
            await self._refresh()
            key = pick(self._keys, kid, algorithm)
        if key is None:
            raise Unauthenticated(UNKNOWN_KEY if self._keys else NO_KEYS)
        return key

    async def _refresh(self) -> None:
        """Joins the fetch under way, or starts one unless one began within the cooldown.

        The fetch is a task of its own, shielded, so a request that gives up waiting does
        not cancel it for the others."""
        if self._fetching is None:
            if time.monotonic() - self._tried_at < self._cooldown:
                return
            self._tried_at = time.monotonic()
            self._fetching = asyncio.create_task(self._fetch())
        await asyncio.shield(self._fetching)

    async def _fetch(self) -> None:
        try:
            async with asyncio.timeout(self._timeout):
                keys = await asyncio.to_thread(self._client.get_jwk_set, True)
        except TimeoutError:
            log.warning("JWKS %s did not answer within %ss", self._url, self._timeout)
        except (jwt.PyJWTError, ValueError, OSError) as exc:
            log.warning("JWKS %s cannot be fetched: %s", self._url, exc)
        else:
            self._keys = tuple(keys.keys)
            self._fetched_at = time.monotonic()
        finally:
            self._fetching = None


def pick(keys: Sequence[jwt.PyJWK], kid: str | None, algorithm: str) -> jwt.PyJWK | None:
    """The signing key named `kid` whose pinned algorithm is `algorithm`; without a `kid`,
    the only such key when there is exactly one."""
    usable = [key for key in keys if _pinned(key) == algorithm]
    if kid is None:
        return usable[0] if len(usable) == 1 else None
    return next((key for key in usable if key.key_id == kid), None)


def _pinned(key: jwt.PyJWK) -> str | None:
    """The one algorithm a JWKS key may check: RS256 for RSA, ES256 for P-256, else none.

    PyJWT derives `algorithm_name` from the key type and curve (or the key's own `alg`,
    which it then must match), so an `oct` or P-384 key never checks a token here."""
    if key.public_key_use not in ("sig", None) or key.algorithm_name not in ASYMMETRIC:
        return None
    return key.algorithm_name
