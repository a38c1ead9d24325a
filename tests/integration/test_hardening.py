"""What a stranger can send: each refused with a coded GraphQL error, nothing run, nothing 5xx."""

import gzip
import json

import pytest

from tests.support.simulators import Simulated, upstream_requests

ACCOUNTS = ("dfs", "cx-a", "cx-b")


async def post(deployment: Simulated, body: bytes, headers: dict[str, str] | None = None):
    async with deployment.http.post(
        f"{deployment.gateway_url}/graphql",
        data=body,
        headers={"Content-Type": "application/json", **(headers or {})},
    ) as response:
        return response.status, await response.json(), response.headers


async def upstream_total(deployment: Simulated) -> int:
    return sum([await upstream_requests(deployment, name) for name in ACCOUNTS])


def only_code(result: dict) -> str:
    (error,) = result["errors"]
    return error["extensions"]["code"]


DEEP = b"[" * 1000 + b"]" * 1000
DEEP_VARIABLES = (
    b'{"query":"{providers{name}}","variables":' + b'{"a":' * 1000 + b"1" + b"}" * 1000 + b"}"
)


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (b"1", {}, 400),
        (b"null", {}, 400),
        (b'"x"', {}, 400),
        (DEEP, {}, 400),
        (DEEP_VARIABLES, {}, 400),
        (b'\xff\xfe{"query":"{providers{name}}"}', {}, 400),
        (
            b'{"query":"{providers{name}}"}',
            {"Content-Type": "application/json; charset=utf-16"},
            415,
        ),
        (b"this is not gzip", {"Content-Encoding": "gzip"}, 400),
    ],
    ids=["int", "null", "string", "deep-body", "deep-variables", "not-utf8", "charset", "gzip"],
)
async def test_bodies_that_are_not_graphql_requests_are_coded_client_errors(
    deployment, body, headers, status
):
    before = await upstream_total(deployment)
    got, result, _ = await post(deployment, body, headers)
    assert got == status
    assert only_code(result) == "BAD_USER_INPUT"
    assert await upstream_total(deployment) == before


async def test_a_gzip_body_that_is_gzip_is_read(deployment):
    body = gzip.compress(json.dumps({"query": "{ providers { name } }"}).encode())
    status, result, _ = await post(deployment, body, {"Content-Encoding": "gzip"})
    assert status == 200
    assert sorted(p["name"] for p in result["data"]["providers"]) == sorted(ACCOUNTS)


async def test_a_body_over_the_limit_is_refused_with_413_before_it_is_read_whole(deployment):
    query = "{ providers { name } }" + " " * 70_000
    status, result, _ = await post(deployment, json.dumps({"query": query}).encode())
    assert status == 413
    assert only_code(result) == "BAD_USER_INPUT"
    assert "65536" in result["errors"][0]["message"]


@pytest.mark.parametrize(
    "query",
    [
        "{ ...Missing }",
        "{ ...A } fragment A on Query { ...B }",
        "{ ...F0 }\n"
        + "".join(f"fragment F{i} on Query {{ ...F{i + 1} }}\n" for i in range(300))
        + "fragment F300 on Query { providers { name } }",
    ],
    ids=["unknown-fragment", "unknown-nested-fragment", "fragment-chain"],
)
async def test_documents_with_broken_fragments_get_coded_errors(deployment, query):
    status, result, _ = await post(deployment, json.dumps({"query": query}).encode())
    assert status == 200
    assert result["errors"]
    assert {e["extensions"]["code"] for e in result["errors"]} == {"BAD_USER_INPUT"}


async def test_a_document_over_the_token_limit_is_refused_while_parsing(deployment):
    query = " ".join(f"a{i}: providers {{ name }}" for i in range(600))
    status, result, _ = await post(deployment, json.dumps({"query": f"{{ {query} }}"}).encode())
    assert status == 200
    assert only_code(result) == "BAD_USER_INPUT"
    assert "2000 tokens" in result["errors"][0]["message"]


async def test_a_document_over_the_cost_limit_says_by_how_much_and_asks_nobody(deployment):
    pages = " ".join(f"p{i}: smsRecords(first: $n) {{ nodes {{ id }} }}" for i in range(7))
    query = f"query Costly($n: Int) {{ {pages} }}"
    before = await upstream_total(deployment)
    body = json.dumps({"query": query, "variables": {"n": 100}}).encode()
    status, result, _ = await post(deployment, body)
    assert status == 200
    assert "data" not in result
    (error,) = result["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "cost": 2100, "maxCost": 2000}
    assert "by 100" in error["message"]
    assert await upstream_total(deployment) == before


async def test_cost_counts_only_the_accounts_a_page_asks(deployment):
    pages = " ".join(
        f'p{i}: smsRecords(first: 100, filter: {{providers: ["cx-b"]}}) {{ nodes {{ id }} }}'
        for i in range(7)
    )
    status, result, _ = await post(deployment, json.dumps({"query": f"{{ {pages} }}"}).encode())
    assert status == 200
    assert "errors" not in result
    assert len(result["data"]["p0"]["nodes"]) == 100


async def test_every_response_carries_a_request_id(deployment):
    body = json.dumps({"query": "{ providers { name } }"}).encode()
    _, _, headers = await post(deployment, body, {"X-Request-Id": "trace-7.a_b"})
    assert headers["X-Request-Id"] == "trace-7.a_b"
    _, _, headers = await post(deployment, body, {"X-Request-Id": "not well formed!"})
    assert headers["X-Request-Id"] not in {"", "not well formed!"}
    for path in ("/healthz", "/metrics", "/no-such-page"):
        async with deployment.http.get(deployment.gateway_url + path) as response:
            assert len(response.headers["X-Request-Id"]) == 32


async def test_mutations_are_never_taken_over_get(deployment):
    mutation = 'mutation { updateSmsRecordUserData(input: {id: "x"}) { clientMutationId } }'
    async with deployment.http.get(
        f"{deployment.gateway_url}/graphql", params={"query": mutation}
    ) as response:
        assert response.status == 405 and response.headers["Allow"] == "POST"
        assert only_code(await response.json()) == "BAD_USER_INPUT"
