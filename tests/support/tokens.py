"""Bearer tokens signed as an identity provider signs them, and the keys it publishes."""

from __future__ import annotations

import time
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

ISSUER = "https://id.example.test/"
AUDIENCE = "sms-gateway"

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def jwk_of(key: PrivateKey, kid: str | None, **extra: str) -> dict[str, Any]:
    """The public half of `key` as a JWK, as an identity provider publishes it."""
    if isinstance(key, rsa.RSAPrivateKey):
        public = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    else:
        public = ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return public | ({"kid": kid} if kid else {}) | {"use": "sig"} | extra


def claims(**overrides: Any) -> dict[str, Any]:
    """A valid token's claims for alice, reading cx-main; `None` drops a claim."""
    now = int(time.time())
    values = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "alice",
        "iat": now,
        "exp": now + 300,
        "sms_accounts": ["cx-main"],
        "scope": "openid sms:read",
    } | overrides
    return {name: value for name, value in values.items() if value is not None}


def sign(key: PrivateKey | str, algorithm: str, kid: str | None = None, **overrides: Any) -> str:
    headers = {"kid": kid} if kid else None
    return jwt.encode(claims(**overrides), key, algorithm=algorithm, headers=headers)
