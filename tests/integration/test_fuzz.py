"""Generated requests, well-shaped and malformed, against the running gateway.

Whatever arrives, the gateway answers below 500, without a traceback, with a code on every
error, and stays up. Each example sends a batch of `BATCH` requests; `EXAMPLES` batches
make at least 2,000 requests a run (CI replays the same ones, derandomized)."""

import json
import string
from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.simulators import Simulated

from .accounts import deploy

BATCH = 20
EXAMPLES = 100
GET_QUERY_MOST = 2000
"""aiohttp's HTTP parser answers a request line over 8 KiB with a plain 400 before the gateway
sees it; a GraphQL client sends a document that long by POST."""

FIELDS = [
    "id",
    "providerRecordId",
    "createdAt",
    "from",
    "to",
    "status",
    "rawStatus",
    "body",
    "price",
    "raw",
    "userData",
    "segments",
    "provider { name kind capabilities }",
    "noSuchField",
    "__typename",
]
ENUMS = ["INBOUND", "OUTBOUND", "UNDIRECTED", "SMS", "MMS", "DELIVERED", "CREATED_AT_ASC", "X"]


@pytest.fixture(scope="module")
async def target() -> AsyncIterator[Simulated]:
    deployed = await deploy(dfs_count=150, cx_counts=(120, 30))
    yield deployed
    await deployed.close()


nasty_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=200),
    st.just("\x00"),
    st.just("a" * 5000),
    st.sampled_from(["2026-13-45T99:00:00Z", "yesterday", "+1555", "", "*", "U21zUmVjb3Jk"]),
)
ints = st.one_of(
    st.integers(min_value=-3, max_value=120),
    st.sampled_from([2**31, -(2**31) - 1, 2**63, 10**30]),
)
json_scalars = st.one_of(st.none(), st.booleans(), ints, st.floats(allow_nan=False), nasty_text)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def literal(value: Any) -> str:
    """A GraphQL literal for a JSON value (strings escaped as JSON strings are)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    return "{" + ", ".join(f"{k}: {literal(v)}" for k, v in value.items() if k.isidentifier()) + "}"


@st.composite
def filters(draw: st.DrawFn) -> dict[str, Any]:
    keys = st.sampled_from(
        ["createdAfter", "createdBefore", "providers", "direction", "statuses", "type", "number"]
    )
    chosen = draw(st.lists(keys, unique=True, max_size=4))
    values = {
        "providers": st.lists(st.sampled_from(["dfs", "cx-a", "cx-b", "nope", ""]), max_size=3),
        "statuses": st.lists(st.sampled_from(ENUMS), max_size=3),
        "direction": st.sampled_from(ENUMS),
        "type": st.sampled_from(ENUMS),
    }
    return {key: draw(values.get(key, nasty_text) | json_scalars) for key in chosen}


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """A document over the schema with arguments of any type, and its variables."""
    selection = " ".join(draw(st.lists(st.sampled_from(FIELDS), min_size=1, max_size=5)))
    kind = draw(st.sampled_from(["page", "node", "nodes", "mutation", "aliases", "deep", "raw"]))
    if kind == "page":
        arguments = draw(
            st.dictionaries(
                st.sampled_from(["first", "last", "after", "before", "orderBy", "filter"]),
                json_values,
                max_size=4,
            )
        )
        if draw(st.booleans()):
            arguments["filter"] = draw(filters())
        args = ", ".join(f"{k}: {literal(v)}" for k, v in arguments.items())
        args = f"({args})" if args else ""
        wrap = draw(st.sampled_from(["nodes {{ {} }}", "edges {{ cursor node {{ {} }} }}"]))
        page_info = "pageInfo { hasNextPage endCursor } providerStatus { provider ok code }"
        return f"{{ smsRecords{args} {{ {wrap.format(selection)} {page_info} }} }}", {}
    if kind == "node":
        document = (
            f"query($id: ID!) {{ node(id: $id) {{ id ... on SmsRecord {{ {selection} }} }} }}"
        )
        return document, {"id": draw(json_values)}
    if kind == "nodes":
        return "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": draw(json_values)}
    if kind == "mutation":
        return (
            "mutation($input: UpdateSmsRecordUserDataInput!) { updateSmsRecordUserData"
            "(input: $input) { smsRecord { id } errors { code message } } }",
            {"input": draw(json_values)},
        )
    if kind == "aliases":
        count = draw(st.integers(min_value=1, max_value=40))
        return "{ " + " ".join(f"a{i}: providers {{ name }}" for i in range(count)) + " }", {}
    if kind == "deep":
        depth = draw(st.integers(min_value=1, max_value=300))
        return "{" * depth + " providers { name } " + "}" * depth, {}
    alphabet = string.printable + "{}()[]:$@!…\x00"
    return draw(st.text(alphabet=alphabet, max_size=300)), draw(json_values)


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, dict[str, str], bytes]:
    """(method, headers, body) of one request, well-shaped or not."""
    shape = draw(st.sampled_from(["graphql"] * 6 + ["get", "batch", "scalar", "bytes", "empty"]))
    content_type = draw(
        st.sampled_from(["application/json"] * 5 + ["text/plain", "application/graphql", ""])
    )
    headers = {"Content-Type": content_type} if content_type else {}
    if draw(st.booleans()):
        headers["Authorization"] = draw(st.sampled_from(["Bearer x", "Basic Og==", "Bearer"]))
    query, variables = draw(documents())
    payload: Any = {"query": query, "variables": variables}
    if draw(st.booleans()):
        payload["operationName"] = draw(json_scalars)
    if shape == "get" and len(query) < GET_QUERY_MOST:
        return "GET", headers, query.encode()
    if shape == "batch":
        payload = [payload] * draw(st.integers(min_value=0, max_value=3))
    elif shape == "scalar":
        payload = draw(json_scalars)
    elif shape == "bytes":
        return "POST", headers, draw(st.binary(max_size=200))
    elif shape == "empty":
        return "POST", headers, b""
    return "POST", headers, json.dumps(payload).encode()


def assert_well_behaved(status: int, text: str) -> None:
    assert status < 500, text[:500]
    assert "Traceback" not in text
    try:
        result = json.loads(text)
    except ValueError:
        raise AssertionError(f"not JSON, status {status}: {text[:300]!r}") from None
    for error in result.get("errors") or []:
        assert error["extensions"]["code"], error


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(batch=st.lists(requests(), min_size=BATCH, max_size=BATCH))
async def test_generated_requests_get_coded_answers_and_the_gateway_stays_up(target, batch):
    url = f"{target.gateway_url}/graphql"
    for method, headers, body in batch:
        if method == "GET":
            params = {"query": body.decode()}
            async with target.http.get(url, params=params, headers=headers) as response:
                assert_well_behaved(response.status, await response.text())
        else:
            async with target.http.post(url, data=body, headers=headers) as response:
                assert_well_behaved(response.status, await response.text())
    async with target.http.get(f"{target.gateway_url}/healthz") as response:
        assert response.status == 200
