"""Static client tokens: minted once, kept by the client, known to the gateway by hash only.

The config holds `token_sha256`, never the token, so a leaked config grants nothing. A
presented token is hashed and compared with every client's digest in constant time, without
stopping at a match, so the time taken says nothing about which client (if any) matched.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable

from gateway.auth.caller import Caller
from gateway.config import EVERY_ACCOUNT, ClientSettings

TOKEN_BYTES = 32


def new_token() -> str:
    """A fresh bearer token of 32 random bytes (43 base64url characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_sha256(token: str) -> str:
    """The lowercase hex SHA-256 of a token: what `[[clients]] token_sha256` holds."""
    return hashlib.sha256(token.encode()).hexdigest()


class StaticTokens:
    """The `[[clients]]` of the config, looked up by the digest of a presented token."""

    def __init__(self, clients: Iterable[ClientSettings]) -> None:
        self._clients = tuple(
            (bytes.fromhex(client.token_sha256), _caller_of(client)) for client in clients
        )

    def __bool__(self) -> bool:
        return bool(self._clients)

    def match(self, token: str) -> Caller | None:
        """The client holding `token`, or `None`; every digest is compared, match or not."""
        digest = hashlib.sha256(token.encode()).digest()
        found = None
        for expected, caller in self._clients:
            if hmac.compare_digest(digest, expected):
                found = caller
        return found


def _caller_of(client: ClientSettings) -> Caller:
    every = client.providers == (EVERY_ACCOUNT,)
    return Caller(client.name, None if every else frozenset(client.providers), client.can_write)
