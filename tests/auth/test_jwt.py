"""JWTs checked against an HS256 secret or a JWKS file: signature, time, issuer, audience,
refused algorithms, and the claims that become a caller's accounts and write right."""

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from gateway.auth import Authenticator, Caller, new_token, token_sha256
from gateway.errors import ConfigError
from tests.support.tokens import claims, jwk_of, sign

from .conftest import HS256_SECRET, gateway_settings, refusal


@pytest.fixture(scope="module")
def hs256() -> Authenticator:
    return Authenticator.from_settings(gateway_settings(auth_jwt={"hs256_secret": HS256_SECRET}))


@pytest.fixture(scope="module")
def jwks_file(tmp_path_factory, rsa_key, ec_key):
    path = tmp_path_factory.mktemp("jwks") / "jwks.json"
    path.write_text(json.dumps({"keys": [jwk_of(rsa_key, "rsa-1"), jwk_of(ec_key, "ec-1")]}))
    return path


@pytest.fixture(scope="module")
def from_file(jwks_file) -> Authenticator:
    return Authenticator.from_settings(gateway_settings(auth_jwt={"jwks_file": str(jwks_file)}))


def forge(header: dict, payload: dict, key: bytes) -> str:
    """An HS256-signed token built by hand, for keys PyJWT itself refuses to sign with."""

    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    signing_input = f"{part(header)}.{part(payload)}"
    mac = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


async def test_an_hs256_token_is_a_caller_named_by_its_subject(hs256):
    caller = await hs256.authenticate(f"Bearer {sign(HS256_SECRET, 'HS256')}")
    assert caller == Caller("jwt:alice", frozenset({"cx-main"}), can_write=False)
    assert not hs256.is_open


async def test_rs256_and_es256_tokens_check_against_a_jwks_file(from_file, rsa_key, ec_key):
    rs = await from_file.authenticate(f"Bearer {sign(rsa_key, 'RS256', 'rsa-1')}")
    es = await from_file.authenticate(f"Bearer {sign(ec_key, 'ES256', 'ec-1', sub='bob')}")
    assert (rs.name, es.name) == ("jwt:alice", "jwt:bob")


async def test_a_token_without_kid_uses_the_only_key_of_its_algorithm(from_file, ec_key):
    assert (await from_file.authenticate(f"Bearer {sign(ec_key, 'ES256')}")).name == "jwt:alice"


async def test_a_jwks_file_refuses_unknown_kids_and_keys_of_another_type(
    from_file, rsa_key, ec_key, other_rsa_key
):
    unknown = "the bearer token is signed with a key this gateway does not know"
    assert await refusal(from_file, sign(rsa_key, "RS256", "rsa-2")) == unknown
    assert await refusal(from_file, sign(ec_key, "ES256", "rsa-1")) == unknown
    assert await refusal(from_file, sign(other_rsa_key, "RS256", "rsa-1")) == (
        "the bearer token is not valid"
    )


@dataclass(frozen=True)
class FromNow:
    """A time claim this many seconds from when the test signs its token, not from when the
    module was collected: in a shuffled run a test may start minutes later, when an `nbf`
    set a minute ahead at collection has already passed."""

    seconds: int


def at_signing(change: dict[str, Any]) -> dict[str, Any]:
    now = int(time.time())
    return {
        name: now + value.seconds if isinstance(value, FromNow) else value
        for name, value in change.items()
    }


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"exp": FromNow(-60)}, "the bearer token has expired"),
        ({"nbf": FromNow(60)}, "the bearer token is not valid yet"),
        ({"iat": FromNow(60)}, "the bearer token is not valid yet"),
        ({"iss": "https://evil.example.test/"}, "from an issuer this gateway does not trust"),
        ({"aud": "another-api"}, "not meant for this gateway (audience)"),
        ({"aud": ["another-api", "a-third"]}, "not meant for this gateway (audience)"),
        ({"exp": None}, "the bearer token has no exp claim"),
        ({"iss": None}, "the bearer token has no iss claim"),
        ({"aud": None}, "the bearer token has no aud claim"),
        ({"scope": ["sms:write"]}, "scope claim must be a string"),
        ({"sms_accounts": "cx-main"}, 'sms_accounts claim must be a list of account names or "*"'),
        ({"sms_accounts": ["cx-main", 7]}, "sms_accounts claim must be a list"),
        ({"sms_accounts": {"cx-main": True}}, "sms_accounts claim must be a list"),
    ],
)
async def test_each_bad_claim_is_refused_with_its_reason(hs256, change, reason):
    assert reason in await refusal(hs256, sign(HS256_SECRET, "HS256", **at_signing(change)))


async def test_times_hold_within_the_leeway(hs256):
    now = int(time.time())
    late = sign(HS256_SECRET, "HS256", exp=now - 10, nbf=now + 10, iat=now + 10)
    assert (await hs256.authenticate(f"Bearer {late}")).name == "jwt:alice"


async def test_an_audience_list_holding_ours_is_accepted(hs256):
    token = sign(HS256_SECRET, "HS256", aud=["another-api", "sms-gateway"])
    assert (await hs256.authenticate(f"Bearer {token}")).name == "jwt:alice"


@pytest.mark.parametrize(
    ("accounts", "readable"),
    [
        (["cx-main", "dfs-main"], frozenset({"cx-main", "dfs-main"})),
        (["cx-main", "not-configured", "nor-this"], frozenset({"cx-main"})),
        (["not-configured"], frozenset()),
        ([], frozenset()),
        (None, frozenset()),
        ("*", None),
        (["*"], None),
    ],
)
async def test_the_providers_claim_names_the_accounts_read(hs256, accounts, readable):
    token = sign(HS256_SECRET, "HS256", sms_accounts=accounts)
    assert (await hs256.authenticate(f"Bearer {token}")).accounts == readable


async def test_the_providers_claim_and_write_scope_are_configurable():
    settings = gateway_settings(
        auth_jwt={"hs256_secret": HS256_SECRET, "providers_claim": "acc", "write_scope": "w"}
    )
    authenticator = Authenticator.from_settings(settings)
    token = sign(HS256_SECRET, "HS256", acc=["dfs-main"], scope="r w")
    caller = await authenticator.authenticate(f"Bearer {token}")
    assert (caller.accounts, caller.can_write) == (frozenset({"dfs-main"}), True)


@pytest.mark.parametrize(
    ("scope", "can_write"),
    [
        ("sms:read sms:write", True),
        ("sms:write", True),
        ("sms:writer sms:read", False),
        ("SMS:WRITE", False),
        (None, False),
        ("", False),
    ],
)
async def test_writing_needs_the_write_scope(hs256, scope, can_write):
    token = sign(HS256_SECRET, "HS256", scope=scope)
    assert (await hs256.authenticate(f"Bearer {token}")).can_write is can_write


async def test_a_token_without_subject_is_named_jwt(hs256):
    assert (
        await hs256.authenticate(f"Bearer {sign(HS256_SECRET, 'HS256', sub=None)}")
    ).name == "jwt"


async def test_a_wrong_secret_or_a_changed_payload_is_refused(hs256):
    assert await refusal(hs256, sign("x" * 40, "HS256")) == "the bearer token is not valid"
    head, _, signature = sign(HS256_SECRET, "HS256").split(".")
    payload = base64.urlsafe_b64encode(json.dumps(claims(sms_accounts="*")).encode()).decode()
    assert await refusal(hs256, f"{head}.{payload.rstrip('=')}.{signature}") == (
        "the bearer token is not valid"
    )


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
async def test_alg_none_is_refused(hs256, from_file, alg):
    header = base64.urlsafe_b64encode(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    payload = base64.urlsafe_b64encode(json.dumps(claims(sms_accounts="*")).encode())
    token = f"{header.decode().rstrip('=')}.{payload.decode().rstrip('=')}."
    assert await refusal(hs256, token) == "the bearer token is not valid"
    assert await refusal(from_file, token) == "the bearer token is not valid"
    unsigned = jwt.encode(claims(), None, algorithm="none")
    assert await refusal(hs256, unsigned) == "the bearer token is not valid"


async def test_an_hs256_token_keyed_with_the_rsa_public_key_is_refused(from_file, rsa_key):
    """The classic confusion: a verifier that let the token pick HS256 would take the
    published RSA key, as PEM or as JWK text, for a shared secret."""
    public = rsa_key.public_key()
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    for secret in (pem, json.dumps(jwk_of(rsa_key, "rsa-1")).encode()):
        token = forge({"alg": "HS256", "kid": "rsa-1"}, claims(sms_accounts="*"), secret)
        assert await refusal(from_file, token) == "the bearer token is not valid"


async def test_an_asymmetric_token_is_refused_by_an_hs256_gateway(hs256, rsa_key, ec_key):
    assert await refusal(hs256, sign(rsa_key, "RS256")) == "the bearer token is not valid"
    assert await refusal(hs256, sign(ec_key, "ES256")) == "the bearer token is not valid"


@pytest.mark.parametrize(
    "token",
    [
        "a.b.c",
        "....",
        "e30.e30.e30",
        "eyJhbGciOlsiSFMyNTYiXX0.e30.x",
        "eyJhbGciOiJIUzI1NiIsImtpZCI6N30.e30.x",
    ],
)
async def test_garbage_in_the_shape_of_a_jwt_is_refused(hs256, token):
    assert await refusal(hs256, token) == "the bearer token is not valid"


async def test_keys_of_other_algorithms_in_a_jwks_file_check_nothing(tmp_path, rsa_key):
    p384 = ec.generate_private_key(ec.SECP384R1())
    path = tmp_path / "jwks.json"
    keys = [
        jwk_of(p384, "p384"),
        jwk_of(rsa_key, "rs512", alg="RS512"),
        jwk_of(rsa_key, "enc", use="enc"),
    ]
    path.write_text(json.dumps({"keys": [*keys, jwk_of(rsa_key, "ok")]}))
    authenticator = Authenticator.from_settings(gateway_settings(auth_jwt={"jwks_file": str(path)}))
    assert (
        await refusal(authenticator, sign(p384, "ES384", "p384")) == "the bearer token is not valid"
    )
    assert "does not know" in await refusal(authenticator, sign(rsa_key, "RS256", "rs512"))
    assert "does not know" in await refusal(authenticator, sign(rsa_key, "RS256", "enc"))
    assert (
        await authenticator.authenticate(f"Bearer {sign(rsa_key, 'RS256', 'ok')}")
    ).name == "jwt:alice"


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "cannot read"),
        ("not json", "is not a JWKS"),
        ('{"keys": []}', "is not a JWKS"),
        (
            '{"keys": [{"kty": "oct", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0", "kid": "k"}]}',
            "no RS256 or ES256 key",
        ),
    ],
)
def test_a_bad_jwks_file_stops_start_up_naming_the_key(tmp_path, content, problem):
    path = tmp_path / "jwks.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError) as caught:
        Authenticator.from_settings(gateway_settings(auth_jwt={"jwks_file": str(path)}))
    assert caught.value.key == "auth.jwt.jwks_file"
    assert problem in caught.value.problem


async def test_client_tokens_and_jwts_work_side_by_side():
    token = new_token()
    client = {"name": "bff", "token_sha256": token_sha256(token), "providers": ["cx-second"]}
    settings = gateway_settings(clients=(client,), auth_jwt={"hs256_secret": HS256_SECRET})
    authenticator = Authenticator.from_settings(settings)
    assert (await authenticator.authenticate(f"Bearer {token}")).name == "bff"
    assert (
        await authenticator.authenticate(f"Bearer {sign(HS256_SECRET, 'HS256')}")
    ).name == "jwt:alice"
    assert await refusal(authenticator, new_token()) == "the bearer token is not valid"
