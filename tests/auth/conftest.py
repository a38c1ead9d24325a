"""Keys, tokens, a gateway config, and a real JWKS server on loopback for the auth tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from gateway.auth import Authenticator
from gateway.config import Settings, parse_settings
from gateway.errors import Unauthenticated
from tests.support.serving import serving, unused_port
from tests.support.tokens import AUDIENCE, ISSUER

ACCOUNTS = ("cx-main", "dfs-main", "cx-second")
HS256_SECRET = "a-shared-secret-of-forty-bytes-at-least!"


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def other_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


async def refusal(authenticator: Authenticator, token: str) -> str:
    """The message a refused bearer token gets, checked never to hold the token."""
    with pytest.raises(Unauthenticated) as caught:
        await authenticator.authenticate(f"Bearer {token}")
    assert token not in caught.value.message
    assert caught.value.extensions() == {"code": "UNAUTHENTICATED"}
    return caught.value.message


def gateway_settings(
    *, clients: tuple[dict[str, Any], ...] = (), auth_jwt: dict[str, Any] | None = None
) -> Settings:
    data: dict[str, Any] = {
        "security": {"cursor_secret": "auth-tests-cursor-secret"},
        "providers": [
            {"name": name, "kind": "carrierx", "base_url": "http://127.0.0.1:9", "token": "t"}
            for name in ACCOUNTS
        ],
        "clients": list(clients),
    }
    if auth_jwt is not None:
        data["auth"] = {"jwt": {"issuer": ISSUER, "audience": AUDIENCE} | auth_jwt}
    return parse_settings(data, environ={})


@dataclass
class JwksServer:
    """An identity provider's JWKS endpoint that a test can rotate, break and slow down."""

    keys: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    body: str | None = None
    delay: float = 0.0
    hits: int = 0
    url: str = ""
    exits: AsyncExitStack = field(default_factory=AsyncExitStack)

    async def handle(self, request: web.Request) -> web.Response:
        self.hits += 1
        await asyncio.sleep(self.delay)
        if self.body is not None:
            return web.Response(text=self.body, status=self.status, content_type="application/json")
        return web.json_response({"keys": self.keys}, status=self.status)

    async def stop(self) -> None:
        """Takes the server away: its port refuses connections from now on."""
        await self.exits.aclose()


@pytest.fixture
async def jwks_server() -> AsyncIterator[JwksServer]:
    server = JwksServer()
    app = web.Application()
    app.router.add_get("/.well-known/jwks.json", server.handle)
    base = await server.exits.enter_async_context(serving(app))
    server.url = f"{base}/.well-known/jwks.json"
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def closed_url() -> str:
    """A loopback URL where nothing listens."""
    return f"http://127.0.0.1:{unused_port()}/.well-known/jwks.json"
