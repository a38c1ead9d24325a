"""The one entry point of authentication: an `Authorization` header in, a `Caller` out.

A gateway with no `[[clients]]` and no `[auth.jwt]` is open (the demo): every request is
`Caller.open()`, whatever it sends. Otherwise the header must be `Bearer <token>` (the
scheme in any case, RFC 7235); the token is looked up among the client tokens first, every
time, and only then, if it has the three parts of a JWT, checked as one.
"""

from __future__ import annotations

import re

from gateway.auth.caller import Caller
from gateway.auth.jwt_verifier import INVALID, JwtVerifier
from gateway.auth.keys import JwksFile, JwksUrl, KeySource, SharedSecret
from gateway.auth.tokens import StaticTokens
from gateway.config import JwtSettings, Settings
from gateway.errors import Unauthenticated

MISSING = "this gateway needs an Authorization: Bearer <token> header"
MALFORMED = "the Authorization header must be the word Bearer, a space, and one token"
# RFC 6750 2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
_BEARER = re.compile(r"(?i:bearer) +([A-Za-z0-9._~+/-]+=*)")


class Authenticator:
    """Knows the configured clients and JWT issuer, and tells who sent a request."""

    def __init__(self, clients: StaticTokens, verifier: JwtVerifier | None) -> None:
        self._clients = clients
        self._verifier = verifier

    @classmethod
    def from_settings(cls, settings: Settings) -> Authenticator:
        """Reads a `jwks_file` now (a bad one is a `ConfigError`); fetches nothing yet."""
        jwt = settings.auth.jwt
        verifier = None
        if jwt is not None:
            verifier = JwtVerifier(jwt, settings.account_names, _key_source(jwt))
        return cls(StaticTokens(settings.clients), verifier)

    @property
    def is_open(self) -> bool:
        """True when nothing is configured: every request reads and writes every account."""
        return not self._clients and self._verifier is None

    async def start(self) -> None:
        """Fetches a `jwks_url`'s keys ahead of the first token; an identity provider that
        is down is logged and retried later, it does not stop start-up."""
        if self._verifier is not None:
            await self._verifier.start()

    async def authenticate(self, authorization_header: str | None) -> Caller:
        """The caller a request's `Authorization` header stands for; raises `Unauthenticated`
        (HTTP 401) when it is missing, malformed, or holds no token this gateway accepts."""
        if self.is_open:
            return Caller.open()
        token = _bearer_token(authorization_header)
        caller = self._clients.match(token)
        if caller is not None:
            return caller
        if self._verifier is not None and token.count(".") == 2:
            return await self._verifier.verify(token)
        raise Unauthenticated(INVALID)


def _bearer_token(header: str | None) -> str:
    if header is None or not header.strip():
        raise Unauthenticated(MISSING)
    matched = _BEARER.fullmatch(header.strip())
    if matched is None:
        raise Unauthenticated(MALFORMED)
    return matched.group(1)


def _key_source(settings: JwtSettings) -> KeySource:
    if settings.jwks_url is not None:
        return JwksUrl(str(settings.jwks_url))
    if settings.jwks_file is not None:
        return JwksFile(settings.jwks_file)
    assert settings.hs256_secret is not None, "the config allows exactly one key source"
    return SharedSecret(settings.hs256_secret)
