"""JWTs from an identity provider, for browser apps: signature, time and audience, then scope.

A token passes when its header names an algorithm its key source accepts, the key found
for it checks the signature, `iss` and `aud` are the configured ones, and `exp` (required),
`nbf` and `iat` hold within `leeway_seconds`. Then its claims say what it may do:

- `providers_claim` (default `sms_accounts`): a list of account names, or `"*"` (also
  `["*"]`) for every account. Names this gateway does not configure are ignored, so one
  identity provider can serve several deployments; a token without the claim reads no
  account. A claim of any other shape is refused: it is the identity provider's mistake,
  better seen at once than read as "no accounts".
- `scope`, space-separated: `write_scope` (default `sms:write`) in it may write `userData`.

Rejections carry a message of our own, one per reason, never PyJWT's text or the token.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import jwt

from gateway.auth.caller import JWT_CALLER, Caller
from gateway.auth.keys import KeySource
from gateway.config import EVERY_ACCOUNT, JwtSettings
from gateway.errors import Unauthenticated

INVALID = "the bearer token is not valid"
_REASONS: tuple[tuple[type[jwt.InvalidTokenError], str], ...] = (
    (jwt.ExpiredSignatureError, "the bearer token has expired"),
    (jwt.ImmatureSignatureError, "the bearer token is not valid yet"),
    (jwt.InvalidIssuerError, "the bearer token is from an issuer this gateway does not trust"),
    (jwt.InvalidAudienceError, "the bearer token is not meant for this gateway (audience)"),
)


class JwtVerifier:
    """Checks a JWT against `[auth.jwt]` and one key source, and says who it is for."""

    def __init__(self, settings: JwtSettings, accounts: Iterable[str], keys: KeySource) -> None:
        self._settings = settings
        self._accounts = frozenset(accounts)
        self._keys = keys

    async def start(self) -> None:
        await self._keys.start()

    async def verify(self, token: str) -> Caller:
        """The caller `token` stands for; raises `Unauthenticated` saying why not."""
        try:
            header = jwt.get_unverified_header(token)  # also checks that a `kid` is a string
        except jwt.PyJWTError:
            raise Unauthenticated(INVALID) from None
        algorithm = header.get("alg")
        if not isinstance(algorithm, str) or algorithm not in self._keys.algorithms:
            raise Unauthenticated(INVALID)
        key = await self._keys.key_for(header.get("kid"), algorithm)
        return self._caller(self._claims(token, key, algorithm))

    def _claims(self, token: str, key: jwt.PyJWK | bytes, algorithm: str) -> dict[str, Any]:
        settings = self._settings
        try:
            return jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                issuer=settings.issuer,
                audience=settings.audience,
                leeway=settings.leeway_seconds,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.MissingRequiredClaimError as exc:
            raise Unauthenticated(f"the bearer token has no {exc.claim} claim") from None
        except jwt.PyJWTError as exc:
            reason = next((text for kind, text in _REASONS if isinstance(exc, kind)), INVALID)
            raise Unauthenticated(reason) from None

    def _caller(self, claims: dict[str, Any]) -> Caller:
        scope = claims.get("scope", "")
        if not isinstance(scope, str):
            raise Unauthenticated("the bearer token's scope claim must be a string")
        subject = claims.get("sub")
        name = f"{JWT_CALLER}:{subject}" if isinstance(subject, str) and subject else JWT_CALLER
        can_write = self._settings.write_scope in scope.split()
        return Caller(name, self._readable(claims.get(self._settings.providers_claim)), can_write)

    def _readable(self, claim: object) -> frozenset[str] | None:
        if claim is None:
            return frozenset()
        if claim == EVERY_ACCOUNT or claim == [EVERY_ACCOUNT]:
            return None
        if isinstance(claim, list) and all(isinstance(name, str) for name in claim):
            return self._accounts.intersection(claim)
        raise Unauthenticated(
            f"the bearer token's {self._settings.providers_claim} claim must be a list of "
            f'account names or "*"'
        )
