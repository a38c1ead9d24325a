"""JWTs checked against keys fetched from a real JWKS server on loopback: caching, rotation,
a server that is down, broken or slow, and an event loop that never waits on it.

The JWKS server runs on the test's own event loop, so every fetch that succeeds also shows
that the fetch did not block the loop: a blocked loop could not have answered it."""

import asyncio
import logging
import time

import pytest

from gateway.auth import Authenticator
from gateway.auth.jwt_verifier import JwtVerifier
from gateway.auth.keys import JwksUrl
from gateway.auth.tokens import StaticTokens
from tests.support.tokens import jwk_of, sign

from .conftest import ACCOUNTS, gateway_settings, refusal

NO_KEYS = "the keys to check the bearer token cannot be fetched now; try again later"
UNKNOWN_KEY = "the bearer token is signed with a key this gateway does not know"


def verifier(url: str, **options) -> Authenticator:
    """An authenticator over a JWKS URL with key-cache timings chosen by the test."""
    settings = gateway_settings(auth_jwt={"jwks_url": url})
    assert settings.auth.jwt is not None
    keys = JwksUrl(url, **({"cooldown_seconds": 0} | options))
    return Authenticator(StaticTokens(()), JwtVerifier(settings.auth.jwt, ACCOUNTS, keys))


async def caller_name(authenticator: Authenticator, token: str) -> str:
    return (await authenticator.authenticate(f"Bearer {token}")).name


async def test_rs256_and_es256_keys_come_from_the_jwks_url(jwks_server, rsa_key, ec_key):
    jwks_server.keys = [jwk_of(rsa_key, "rsa-1"), jwk_of(ec_key, "ec-1")]
    authenticator = Authenticator.from_settings(
        gateway_settings(auth_jwt={"jwks_url": jwks_server.url})
    )
    await authenticator.start()
    assert jwks_server.hits == 1
    for _ in range(5):
        assert await caller_name(authenticator, sign(rsa_key, "RS256", "rsa-1")) == "jwt:alice"
        assert (
            await caller_name(authenticator, sign(ec_key, "ES256", "ec-1", sub="bob")) == "jwt:bob"
        )
    assert jwks_server.hits == 1


async def test_the_first_token_fetches_the_keys_when_start_did_not(jwks_server, rsa_key):
    jwks_server.keys = [jwk_of(rsa_key, "rsa-1")]
    authenticator = verifier(jwks_server.url)
    assert await caller_name(authenticator, sign(rsa_key, "RS256", "rsa-1")) == "jwt:alice"
    assert jwks_server.hits == 1


async def test_an_unknown_kid_refetches_the_keys_so_a_rotated_key_works(
    jwks_server, rsa_key, other_rsa_key
):
    jwks_server.keys = [jwk_of(rsa_key, "2024")]
    authenticator = verifier(jwks_server.url)
    await authenticator.start()
    assert await caller_name(authenticator, sign(rsa_key, "RS256", "2024")) == "jwt:alice"
    jwks_server.keys = [jwk_of(other_rsa_key, "2025")]
    assert await caller_name(authenticator, sign(other_rsa_key, "RS256", "2025")) == "jwt:alice"
    assert jwks_server.hits == 2
    assert await refusal(authenticator, sign(rsa_key, "RS256", "2024")) == UNKNOWN_KEY


async def test_made_up_kids_refetch_at_most_once_per_cooldown(jwks_server, rsa_key):
    jwks_server.keys = [jwk_of(rsa_key, "rsa-1")]
    authenticator = verifier(jwks_server.url, cooldown_seconds=60)
    await authenticator.start()
    for n in range(20):
        assert await refusal(authenticator, sign(rsa_key, "RS256", f"made-up-{n}")) == UNKNOWN_KEY
    assert jwks_server.hits == 1


async def test_concurrent_tokens_share_one_fetch(jwks_server, rsa_key):
    jwks_server.keys = [jwk_of(rsa_key, "rsa-1")]
    jwks_server.delay = 0.2
    authenticator = verifier(jwks_server.url)
    token = sign(rsa_key, "RS256", "rsa-1")
    names = await asyncio.gather(*(caller_name(authenticator, token) for _ in range(20)))
    assert names == ["jwt:alice"] * 20
    assert jwks_server.hits == 1


async def test_keys_expire_after_their_lifespan(jwks_server, rsa_key):
    jwks_server.keys = [jwk_of(rsa_key, "rsa-1")]
    authenticator = verifier(jwks_server.url, lifespan_seconds=0.05)
    await authenticator.start()
    await asyncio.sleep(0.1)
    assert await caller_name(authenticator, sign(rsa_key, "RS256", "rsa-1")) == "jwt:alice"
    assert jwks_server.hits == 2


async def test_a_jwks_url_down_at_start_up_does_not_stop_it(closed_url, rsa_key, caplog):
    authenticator = Authenticator.from_settings(gateway_settings(auth_jwt={"jwks_url": closed_url}))
    with caplog.at_level(logging.WARNING, logger="gateway.auth.keys"):
        await authenticator.start()
    assert any("cannot be fetched" in record.getMessage() for record in caplog.records)
    token = sign(rsa_key, "RS256", "rsa-1")
    assert await refusal(authenticator, token) == NO_KEYS
    assert all(token not in record.getMessage() for record in caplog.records)


async def test_an_identity_provider_back_up_serves_its_keys(jwks_server, rsa_key):
    jwks_server.status = 503
    authenticator = verifier(jwks_server.url)
    await authenticator.start()
    token = sign(rsa_key, "RS256", "rsa-1")
    assert await refusal(authenticator, token) == NO_KEYS
    jwks_server.status, jwks_server.keys = 200, [jwk_of(rsa_key, "rsa-1")]
    assert await caller_name(authenticator, token) == "jwt:alice"


async def test_keys_held_keep_working_while_the_jwks_url_is_down(
    jwks_server, rsa_key, other_rsa_key
):
    jwks_server.keys = [jwk_of(rsa_key, "rsa-1")]
    authenticator = verifier(jwks_server.url, lifespan_seconds=0.01)
    await authenticator.start()
    jwks_server.status = 500
    await asyncio.sleep(0.05)
    assert await caller_name(authenticator, sign(rsa_key, "RS256", "rsa-1")) == "jwt:alice"
    assert await refusal(authenticator, sign(other_rsa_key, "RS256", "rsa-2")) == UNKNOWN_KEY
    assert jwks_server.hits == 3


async def test_a_jwks_url_that_goes_away_keeps_old_keys_and_refuses_new_ones(
    jwks_server, rsa_key, other_rsa_key
):
    jwks_server.keys = [jwk_of(rsa_key, "rsa-1")]
    authenticator = verifier(jwks_server.url, lifespan_seconds=0.05)
    await authenticator.start()
    await jwks_server.stop()
    assert await refusal(authenticator, sign(other_rsa_key, "RS256", "rsa-2")) == UNKNOWN_KEY
    await asyncio.sleep(0.1)
    assert await caller_name(authenticator, sign(rsa_key, "RS256", "rsa-1")) == "jwt:alice"


@pytest.mark.parametrize(
    "body", ["not json", "[1, 2]", '{"keys": []}', '{"keys": [{"kty": "RSA"}]}', '{"nokeys": 1}']
)
async def test_a_broken_jwks_document_refuses_tokens_and_is_logged(
    jwks_server, rsa_key, caplog, body
):
    jwks_server.body = body
    authenticator = verifier(jwks_server.url)
    with caplog.at_level(logging.WARNING, logger="gateway.auth.keys"):
        assert await refusal(authenticator, sign(rsa_key, "RS256", "rsa-1")) == NO_KEYS
    assert any(jwks_server.url in record.getMessage() for record in caplog.records)


async def test_a_slow_jwks_url_is_cut_at_its_timeout_and_never_holds_the_loop(jwks_server, rsa_key):
    jwks_server.keys, jwks_server.delay = [jwk_of(rsa_key, "rsa-1")], 1.5
    authenticator = verifier(jwks_server.url, timeout_seconds=0.3)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    began = time.monotonic()
    try:
        assert await refusal(authenticator, sign(rsa_key, "RS256", "rsa-1")) == NO_KEYS
    finally:
        ticker.cancel()
    waited = time.monotonic() - began
    assert 0.25 < waited < 1.0
    assert ticks >= 10
