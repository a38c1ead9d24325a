"""No secret reaches a response or a log line, through auth failures and provider failures.

One run exercises refused and accepted client tokens and JWTs, an account whose credentials
its provider rejects, one that is down, bad inputs and bad cursors; every response (body and
headers) and every log record (message and traceback) is then searched for every secret."""

import logging
import time
from typing import Any

from gateway.auth import token_sha256
from gateway.logs import log_formatter
from tests.support.deployment import SECRET, BaseOf
from tests.support.serving import unused_port
from tests.support.simulators import CX_TOKEN, DFS_KEY, DFS_TOKEN
from tests.support.tokens import AUDIENCE, ISSUER, sign

from .accounts import deploy

CLIENT_TOKEN = "client-token-" + "c" * 40
HS256_SECRET = "hs256-secret-of-more-than-32-bytes-0123456789"
REJECTED_TOKEN = "cx-token-the-provider-rejects-0001"


def browser_token(key: str, **claims: Any) -> str:
    """A token for every account, signed with `key`."""
    return sign(key, "HS256", sms_accounts="*", **claims)


async def test_no_secret_reaches_a_response_or_a_log_line(caplog):
    caplog.set_level(logging.DEBUG)
    caplog.handler.setFormatter(log_formatter("json"))  # every field of every line, as served
    deployment = await deploy(
        dfs_count=60,
        cx_counts=(50,),
        extra_providers=[
            {
                "name": "cx-rejected",
                "kind": "carrierx",
                "base_url": BaseOf("cx-a"),
                "token": REJECTED_TOKEN,
            },
            {
                "name": "cx-down",
                "kind": "carrierx",
                "token": REJECTED_TOKEN,
                "base_url": f"http://127.0.0.1:{unused_port()}/core/v2",
                "retries": 0,
            },
        ],
        settings={
            "clients": [
                {"name": "desk", "token_sha256": token_sha256(CLIENT_TOKEN), "providers": ["*"]}
            ],
            "auth": {"jwt": {"issuer": ISSUER, "audience": AUDIENCE, "hs256_secret": HS256_SECRET}},
        },
    )
    good_jwt = browser_token(HS256_SECRET)
    expired_jwt = browser_token(HS256_SECRET, exp=int(time.time()) - 999)
    forged_jwt = browser_token("another-secret-of-more-than-32-bytes-000000")
    secrets = [
        SECRET,
        CX_TOKEN,
        DFS_KEY,
        DFS_TOKEN,
        REJECTED_TOKEN,
        CLIENT_TOKEN,
        HS256_SECRET,
        good_jwt,
        expired_jwt,
        forged_jwt,
    ]
    page = (
        "query($after: String) { smsRecords(first: 30, after: $after) { "
        "nodes { id raw } pageInfo { endCursor } providerStatus { provider ok code message } } }"
    )
    seen: list[str] = []
    try:

        async def ask(token: str | None, query: str, variables: dict | None = None) -> dict:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            async with deployment.http.post(
                deployment.gateway_url + "/graphql",
                json={"query": query, "variables": variables or {}},
                headers=headers,
            ) as response:
                seen.append(await response.text())
                seen.append(str(dict(response.headers)))
                return await response.json()

        for token in (None, "wrong-" + CLIENT_TOKEN, expired_jwt, forged_jwt, "Bearer"):
            await ask(token, page)
        first = await ask(CLIENT_TOKEN, page)
        assert {e["extensions"]["code"] for e in first["errors"]} == {
            "PROVIDER_ERROR",
            "PROVIDER_UNAVAILABLE",
        }
        cursor = first["data"]["smsRecords"]["pageInfo"]["endCursor"]
        await ask(good_jwt, page, {"after": cursor})
        await ask(CLIENT_TOKEN, page, {"after": cursor[:-3] + "abc"})
        await ask(CLIENT_TOKEN, '{ node(id: "U21zUmVjb3JkOmN4LXJlamVjdGVkOng=") { id } }')
        await ask(CLIENT_TOKEN, "{ nope }")
        async with deployment.http.get(deployment.gateway_url + "/readyz") as response:
            seen.append(await response.text())
    finally:
        await deployment.close()
    logged = [record.getMessage() for record in caplog.records] + [caplog.text]
    assert len(seen) > 10
    assert any("cx-rejected" in line for line in logged + seen)
    assert '"event":"upstream call failed"' in caplog.text
    for secret in secrets:
        assert not any(secret in text for text in seen), "a response holds a secret"
        assert not any(secret in text for text in logged), "a log line holds a secret"
