"""`[limits]` and `[server] introspection` as configured, over real HTTP."""

import json
from collections.abc import AsyncIterator

import pytest

from tests.support.simulators import Simulated, upstream_requests

from .accounts import deploy

DEEP_PAGE = "{ smsRecords(first: 2) { edges { node { provider { name } } } } }"
"""Depth 4: a document's depth counts the selections nested below its root fields, as
graphql-depth-limit counts it (`{ providers { name } }` is 1 deep)."""


@pytest.fixture(scope="module")
async def tight() -> AsyncIterator[Simulated]:
    deployed = await deploy(
        dfs_count=30,
        cx_counts=(30,),
        settings={
            "server": {"introspection": False},
            "limits": {
                "max_body_bytes": 1_000_000,
                "max_depth": 3,
                "max_aliases": 3,
                "max_tokens": 500,
                "max_cost": 50,
            },
        },
    )
    yield deployed
    await deployed.close()


def errors_of(result: dict) -> list[dict]:
    """The errors of a refused document, every one of them BAD_USER_INPUT; it never ran, so
    its response has no `data` entry."""
    assert "data" not in result
    assert result["errors"]
    assert {error["extensions"]["code"] for error in result["errors"]} == {"BAD_USER_INPUT"}
    return result["errors"]


def error_of(result: dict) -> dict:
    (error,) = errors_of(result)
    return error


async def test_a_document_deeper_than_max_depth_is_refused(tight):
    error = error_of(await tight.gql(DEEP_PAGE))
    assert "depth of 3" in error["message"]
    shallow = await tight.gql("{ smsRecords(first: 2) { edges { node { id } } } }")
    assert len(shallow["data"]["smsRecords"]["edges"]) == 2


async def test_more_aliases_than_max_aliases_are_refused(tight):
    aliases = " ".join(f"a{i}: providers {{ name }}" for i in range(4))
    error = error_of(await tight.gql(f"{{ {aliases} }}"))
    assert "4 aliases" in error["message"]


async def test_a_document_of_thousands_of_operations_stops_at_the_token_limit(tight):
    """170 KB of 5,000 operations: parsing gives up at the 500th token, long before the end."""
    document = "".join(f"query Q{i} {{ providers {{ name }} }}\n" for i in range(5000))
    assert len(document.encode()) > 150_000
    error = error_of(await tight.gql(document))
    assert "more than 500 tokens" in error["message"]


async def test_cost_uses_the_configured_maximum_and_asks_nobody(tight):
    before = sum([await upstream_requests(tight, name) for name in ("dfs", "cx-a")])
    error = error_of(await tight.gql("{ smsRecords(first: 26) { nodes { id } } }"))
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "cost": 52, "maxCost": 50}
    assert sum([await upstream_requests(tight, name) for name in ("dfs", "cx-a")]) == before
    ids = json.dumps([f"id{i}" for i in range(51)])
    assert (
        error_of(await tight.gql(f"{{ nodes(ids: {ids}) {{ id }} }}"))["extensions"]["cost"] == 51
    )


@pytest.mark.parametrize(
    "query", ["{ __schema { types { name } } }", '{ __type(name: "SmsRecord") { name } }']
)
async def test_introspection_is_refused_when_turned_off(tight, query):
    """One error for each introspection field the document asks (`__schema`, `types`)."""
    refused = errors_of(await tight.gql(query))
    assert all("introspection" in error["message"] for error in refused)
    assert (await tight.gql("{ __typename }"))["data"] == {"__typename": "Query"}
