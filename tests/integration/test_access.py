"""Access control over real HTTP: who may ask, and what each caller sees of the accounts.

Three static clients and browser JWTs signed by a key that a JWKS server on loopback
publishes, in front of DIDforSale `dfs` and CarrierX `cx-a`, `cx-b`."""

import base64
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import jwt
import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa

from gateway.auth import token_sha256
from tests.support.relay import FORWARD, walk
from tests.support.serving import serving
from tests.support.simulators import Simulated, upstream_requests
from tests.support.tokens import AUDIENCE, ISSUER, jwk_of, sign

from .accounts import deploy

ACCOUNTS = ("dfs", "cx-a", "cx-b")
DESK, OPS, WRITER = "desk-token-" + "d" * 40, "ops-token-" + "o" * 40, "writer-token-" + "w" * 40
CLIENTS = [
    {"name": "desk", "token_sha256": token_sha256(DESK), "providers": ["cx-a"]},
    {"name": "ops", "token_sha256": token_sha256(OPS), "providers": ["*"], "can_write": True},
    {
        "name": "writer",
        "token_sha256": token_sha256(WRITER),
        "providers": ["cx-a", "dfs"],
        "can_write": True,
    },
]
PROVIDERS = "{ providers { name } }"
PAGE = """
query Page($first: Int, $after: String, $filter: SmsRecordFilter) {
  smsRecords(first: $first, after: $after, filter: $filter) {
    edges { cursor node { id provider { name } } }
    pageInfo { hasNextPage endCursor }
    providerStatus { provider ok }
  }
}
"""
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"
UPDATE = """
mutation($id: ID!) {
  updateSmsRecordUserData(input: {id: $id, userData: "checked"}) {
    smsRecord { userData } errors { code }
  }
}
"""


class Gateway:
    """The deployment, the identity provider's key, and a way to ask as anyone."""

    def __init__(self, deployment: Simulated, key: rsa.RSAPrivateKey) -> None:
        self.deployment = deployment
        self.key = key

    def browser_token(self, **claims: Any) -> str:
        """Alice's token from the identity provider, reading `cx-b` without write scope."""
        shown = {"sms_accounts": ["cx-b"], "scope": "openid"} | claims
        return sign(self.key, "RS256", "k1", **shown)

    async def ask(
        self, token: str | None, query: str, variables: dict | None = None, status: int = 200
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return await self.deployment.gql(query, variables, headers=headers, status=status)

    async def calls(self) -> int:
        return sum([await upstream_requests(self.deployment, name) for name in ACCOUNTS])


@pytest.fixture(scope="module")
async def gateway() -> AsyncIterator[Gateway]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = jwk_of(key, "k1")

    async def jwks(request: web.Request) -> web.Response:
        return web.json_response({"keys": [jwk]})

    identity = web.Application()
    identity.router.add_get("/jwks.json", jwks)
    async with AsyncExitStack() as stack:
        root = await stack.enter_async_context(serving(identity))
        deployment = await deploy(
            dfs_count=120,
            cx_counts=(90, 40),
            settings={
                "clients": CLIENTS,
                "auth": {
                    "jwt": {
                        "issuer": ISSUER,
                        "audience": AUDIENCE,
                        "jwks_url": f"{root}/jwks.json",
                        "write_scope": "sms:write",
                    }
                },
            },
        )
        stack.push_async_callback(deployment.close)
        yield Gateway(deployment, key)


def codes(result: dict) -> list[str]:
    return [error["extensions"]["code"] for error in result.get("errors", [])]


def record_id(account: str, key: str) -> str:
    return base64.b64encode(f"SmsRecord:{account}:{key}".encode()).decode()


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer nope-" + "x" * 40, "Basic b3BzOnB3", "Bearer", "Bearer a.b.c"],
    ids=["missing", "unknown", "basic", "empty", "not-a-jwt"],
)
async def test_a_request_without_a_valid_token_gets_401_before_anything_runs(
    gateway, authorization
):
    before = await gateway.calls()
    headers = {"Authorization": authorization} if authorization else {}
    async with gateway.deployment.http.post(
        gateway.deployment.gateway_url + "/graphql", json={"query": PAGE}, headers=headers
    ) as response:
        assert response.status == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
        result = await response.json()
    assert codes(result) == ["UNAUTHENTICATED"]
    assert await gateway.calls() == before


@pytest.mark.parametrize(
    "claims",
    [
        {"exp": int(time.time()) - 3600},
        {"aud": "another-api"},
        {"iss": "https://evil.example.test/"},
    ],
    ids=["expired", "audience", "issuer"],
)
async def test_a_jwt_that_does_not_hold_is_refused(gateway, claims):
    result = await gateway.ask(gateway.browser_token(**claims), PROVIDERS, status=401)
    assert codes(result) == ["UNAUTHENTICATED"]


async def test_a_jwt_signed_by_another_key_is_refused(gateway):
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(
        {"iss": ISSUER, "aud": AUDIENCE, "exp": int(time.time()) + 60, "sms_accounts": "*"},
        stranger,
        algorithm="RS256",
        headers={"kid": "k1"},
    )
    assert codes(await gateway.ask(forged, PROVIDERS, status=401)) == ["UNAUTHENTICATED"]


async def test_each_caller_lists_only_its_accounts(gateway):
    listed = {}
    for name, token in [("desk", DESK), ("ops", OPS), ("writer", WRITER)]:
        result = await gateway.ask(token, PROVIDERS)
        listed[name] = sorted(p["name"] for p in result["data"]["providers"])
    browser = await gateway.ask(gateway.browser_token(), PROVIDERS)
    listed["browser"] = [p["name"] for p in browser["data"]["providers"]]
    assert listed == {
        "desk": ["cx-a"],
        "ops": sorted(ACCOUNTS),
        "writer": ["cx-a", "dfs"],
        "browser": ["cx-b"],
    }


async def test_a_walk_asks_and_shows_only_the_callers_accounts(gateway):
    before = {name: await upstream_requests(gateway.deployment, name) for name in ACCOUNTS}
    result = await walk(lambda q, v: gateway.ask(DESK, q, v), FORWARD, 40)
    after = {name: await upstream_requests(gateway.deployment, name) for name in ACCOUNTS}
    assert {record["provider"]["name"] for record in result.records} == {"cx-a"}
    assert len(result.records) == len(gateway.deployment.accounts.cx["cx-a"])
    assert all(
        [status["provider"] for status in page.connection["providerStatus"]] == ["cx-a"]
        for page in result.pages
    )
    assert after["dfs"] == before["dfs"]
    assert after["cx-b"] == before["cx-b"]


async def test_an_account_outside_the_scope_is_refused_as_if_it_did_not_exist(gateway):
    outside = await gateway.ask(DESK, PAGE, {"filter": {"providers": ["dfs"]}})
    missing = await gateway.ask(DESK, PAGE, {"filter": {"providers": ["no-such-account"]}})
    assert codes(outside) == codes(missing) == ["BAD_USER_INPUT"]
    message = outside["errors"][0]["message"]
    assert message == missing["errors"][0]["message"].replace("no-such-account", "dfs")
    assert "cx-b" not in message
    assert "configured: cx-a" in message


async def test_ids_of_other_accounts_are_null_and_cost_no_call(gateway):
    cx_b = gateway.deployment.accounts.cx["cx-b"][0]["dr_sid"]
    cx_a = gateway.deployment.accounts.cx["cx-a"][0]["dr_sid"]
    before = await upstream_requests(gateway.deployment, "cx-b")
    result = await gateway.ask(
        DESK, NODES, {"ids": [record_id("cx-b", cx_b), record_id("cx-a", cx_a)]}
    )
    assert result["data"]["nodes"][0] is None
    assert result["data"]["nodes"][1] == {"id": record_id("cx-a", cx_a)}
    single = await gateway.ask(
        DESK, "query($id: ID!) { node(id: $id) { id } }", {"id": record_id("cx-b", cx_b)}
    )
    assert single == {"data": {"node": None}}
    assert await upstream_requests(gateway.deployment, "cx-b") == before


async def test_writes_need_write_access_and_an_account_in_scope(gateway):
    cx_a = record_id("cx-a", gateway.deployment.accounts.cx["cx-a"][1]["dr_sid"])
    cx_b = record_id("cx-b", gateway.deployment.accounts.cx["cx-b"][1]["dr_sid"])
    read_only = await gateway.ask(DESK, UPDATE, {"id": cx_a})
    outside = await gateway.ask(WRITER, UPDATE, {"id": cx_b})
    browser_without_scope = await gateway.ask(gateway.browser_token(), UPDATE, {"id": cx_b})
    allowed = await gateway.ask(WRITER, UPDATE, {"id": cx_a})
    browser = await gateway.ask(
        gateway.browser_token(scope="openid sms:write"), UPDATE, {"id": cx_b}
    )

    def outcome(result: dict) -> Any:
        payload = result["data"]["updateSmsRecordUserData"]
        return [e["code"] for e in payload["errors"]] or payload["smsRecord"]["userData"]

    assert outcome(read_only) == ["FORBIDDEN"]
    assert outcome(outside) == ["NOT_FOUND"]
    assert outcome(browser_without_scope) == ["FORBIDDEN"]
    assert outcome(allowed) == "checked"
    assert outcome(browser) == "checked"


async def test_a_cursor_serves_only_the_caller_it_was_made_for(gateway):
    page = await gateway.ask(DESK, PAGE, {"first": 5})
    cursor = page["data"]["smsRecords"]["pageInfo"]["endCursor"]
    same_accounts = gateway.browser_token(sms_accounts=["cx-a"])
    again = await gateway.ask(DESK, PAGE, {"first": 5, "after": cursor})
    stolen = await gateway.ask(same_accounts, PAGE, {"first": 5, "after": cursor})
    assert "errors" not in again
    assert codes(stolen) == ["BAD_CURSOR"]


async def test_readiness_names_no_account_when_clients_are_configured(gateway):
    async with gateway.deployment.http.get(gateway.deployment.gateway_url + "/readyz") as reply:
        assert reply.status == 200
        body = await reply.json()
    assert body == {"status": "ok", "accounts": 3, "failing": 0}
    text = str(body)
    assert not any(name in text for name in ACCOUNTS)
