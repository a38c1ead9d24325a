"""Static client tokens, the Authorization header, and the open gateway."""

import hashlib

import pytest

from gateway.auth import Authenticator, Caller, new_token, token_sha256
from gateway.errors import GatewayError, Unauthenticated

from .conftest import ACCOUNTS, gateway_settings, refusal

DESK_TOKEN = new_token()
OPS_TOKEN = new_token()
CLIENTS = (
    {
        "name": "support-desk",
        "token_sha256": token_sha256(DESK_TOKEN),
        "providers": ["cx-main", "dfs-main"],
    },
    {"name": "ops", "token_sha256": token_sha256(OPS_TOKEN), "providers": ["*"], "can_write": True},
)


@pytest.fixture(scope="module")
def authenticator() -> Authenticator:
    return Authenticator.from_settings(gateway_settings(clients=CLIENTS))


def test_a_new_token_holds_32_random_bytes_and_its_hash_is_plain_sha256():
    tokens = {new_token() for _ in range(50)}
    assert len(tokens) == 50
    for token in tokens:
        assert len(token) >= 43
        assert token_sha256(token) == hashlib.sha256(token.encode()).hexdigest()


async def test_each_client_token_is_its_client(authenticator):
    desk = await authenticator.authenticate(f"Bearer {DESK_TOKEN}")
    assert desk == Caller("support-desk", frozenset({"cx-main", "dfs-main"}), can_write=False)
    ops = await authenticator.authenticate(f"Bearer {OPS_TOKEN}")
    assert ops == Caller("ops", None, can_write=True)


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "Bearer", "beaRer"])
async def test_the_scheme_is_case_insensitive(authenticator, scheme):
    assert (await authenticator.authenticate(f"{scheme} {DESK_TOKEN}")).name == "support-desk"


async def test_spaces_around_and_after_the_scheme_are_tolerated(authenticator):
    assert (await authenticator.authenticate(f"  Bearer   {DESK_TOKEN} ")).name == "support-desk"


@pytest.mark.parametrize("header", [None, "", "   "])
async def test_a_missing_header_is_unauthenticated(authenticator, header):
    with pytest.raises(Unauthenticated, match="needs an Authorization: Bearer"):
        await authenticator.authenticate(header)


@pytest.mark.parametrize(
    "header",
    [
        f"Basic {DESK_TOKEN}",
        "Bearer",
        "Bearer ",
        f"Bearer{DESK_TOKEN}",
        f"Bearer {DESK_TOKEN} {DESK_TOKEN}",
        f"Bearer {DESK_TOKEN}\u00e9",
        f"Bearer {DESK_TOKEN}\x00",
        f"Token {DESK_TOKEN}",
        DESK_TOKEN,
    ],
)
async def test_a_malformed_header_is_unauthenticated_and_never_echoed(authenticator, header):
    with pytest.raises(Unauthenticated, match="must be the word Bearer") as caught:
        await authenticator.authenticate(header)
    assert DESK_TOKEN not in str(caught.value)


@pytest.mark.parametrize(
    "token", [new_token(), DESK_TOKEN[:-1], DESK_TOKEN + "A", token_sha256(DESK_TOKEN), "a.b.c"]
)
async def test_an_unknown_token_is_unauthenticated_and_never_echoed(authenticator, token):
    assert await refusal(authenticator, token) == "the bearer token is not valid"


def test_unauthenticated_is_a_gateway_error_with_its_own_code():
    assert issubclass(Unauthenticated, GatewayError)
    assert Unauthenticated("x").extensions() == {"code": "UNAUTHENTICATED"}


def test_with_clients_the_gateway_is_not_open(authenticator):
    assert not authenticator.is_open


async def test_without_clients_or_jwt_every_request_reads_and_writes_everything():
    authenticator = Authenticator.from_settings(gateway_settings())
    assert authenticator.is_open
    await authenticator.start()
    for header in (None, "", "Bearer whatever", "Basic x"):
        caller = await authenticator.authenticate(header)
        assert caller == Caller.open()
    assert caller.can_write and caller.readable(ACCOUNTS) == ACCOUNTS


def test_a_caller_reads_only_its_accounts_in_the_order_given():
    desk = Caller("support-desk", frozenset({"cx-main", "dfs-main"}), can_write=False)
    assert desk.readable(["dfs-main", "cx-second", "cx-main"]) == ("dfs-main", "cx-main")
    assert desk.may_read("cx-main") and not desk.may_read("cx-second")
    nobody = Caller("jwt:bob", frozenset(), can_write=True)
    assert nobody.readable(ACCOUNTS) == () and not nobody.may_read("cx-main")


def test_a_callers_label_is_bounded_for_metrics():
    assert Caller("support-desk", None, False).label == "support-desk"
    assert Caller("jwt:alice@example.com", None, False).label == "jwt"
    assert Caller.open().label == "anonymous"
