"""GraphQL over HTTP as its specification asks: the status by the media type the client
accepts, queries over GET (never mutations), and GET held to every rule a POST is."""

import json
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest

from gateway.auth import token_sha256
from gateway.metrics import REGISTRY
from tests.support.simulators import Simulated, requests_served

from .accounts import deploy

GRAPHQL_RESPONSE = "application/graphql-response+json"
TOKEN = "reader-token-" + "r" * 40
PAGE = """
query Page($first: Int, $order: SmsRecordOrder) {
  smsRecords(first: $first, orderBy: $order) { edges { node { id createdAt } } }
}
"""
MUTATION = """
mutation Mark($id: ID!) {
  updateSmsRecordUserData(input: {id: $id, userData: "over GET"}) { errors { code } }
}
"""


@pytest.fixture(scope="module")
async def gateway() -> AsyncIterator[Simulated]:
    deployed = await deploy(
        dfs_count=40,
        cx_counts=(40,),
        cache={"ttl_seconds": 45},
        settings={"limits": {"max_body_bytes": 4096, "max_cost": 60}},
    )
    yield deployed
    await deployed.close()


@pytest.fixture(scope="module")
async def guarded() -> AsyncIterator[Simulated]:
    clients = [{"name": "reader", "token_sha256": token_sha256(TOKEN), "providers": ["*"]}]
    deployed = await deploy(dfs_count=20, cx_counts=(20,), settings={"clients": clients})
    yield deployed
    await deployed.close()


async def post(deployment: Simulated, body: Any, accept: str | None) -> tuple[int, str, Any]:
    headers = {"Accept": accept} if accept else {}
    url = deployment.gateway_url + "/graphql"
    async with deployment.http.post(url, json=body, headers=headers) as response:
        return response.status, response.content_type, await response.json(content_type=None)


async def get(
    deployment: Simulated, params: dict[str, str], headers: dict[str, str] | None = None
) -> tuple[int, Any, Any]:
    url = deployment.gateway_url + "/graphql"
    async with deployment.http.get(url, params=params, headers=headers or {}) as response:
        return response.status, response.headers.copy(), await response.json(content_type=None)


def codes(reply: dict[str, Any]) -> set[str]:
    return {error["extensions"]["code"] for error in reply["errors"]}


@pytest.mark.parametrize(
    "document", ["{ smsRecords(first: 2) { nodes { id } ", "{ smsRecords { noSuchField } }"]
)
async def test_a_document_that_never_runs_is_400_only_for_graphql_response_json(gateway, document):
    status, media, reply = await post(gateway, {"query": document}, GRAPHQL_RESPONSE)
    assert (status, media) == (400, GRAPHQL_RESPONSE)
    assert "data" not in reply
    assert codes(reply) == {"BAD_USER_INPUT"}
    for accept in ("application/json", None, "*/*"):
        status, media, same = await post(gateway, {"query": document}, accept)
        assert (status, media, same) == (200, "application/json", reply)


async def test_apollo_clients_accept_header_gets_the_new_media_type(gateway):
    apollo = f"{GRAPHQL_RESPONSE},application/json;q=0.9"
    status, media, _ = await post(gateway, {"query": "{ nope }"}, apollo)
    assert (status, media) == (400, GRAPHQL_RESPONSE)
    status, media, _ = await post(gateway, {"query": "{ nope }"}, f"{GRAPHQL_RESPONSE};q=0.5,*/*")
    assert (status, media) == (200, "application/json")


async def test_variables_that_do_not_fit_and_a_cost_over_the_limit_are_400_too(gateway):
    bad_variable = {"query": PAGE, "variables": {"first": "ten"}}
    status, _, reply = await post(gateway, bad_variable, GRAPHQL_RESPONSE)
    assert status == 400 and codes(reply) == {"BAD_USER_INPUT"}
    assert "data" not in reply
    before = await requests_served(gateway)
    status, _, reply = await post(
        gateway, {"query": PAGE, "variables": {"first": 31}}, GRAPHQL_RESPONSE
    )
    assert status == 400 and reply["errors"][0]["extensions"]["maxCost"] == 60
    assert "data" not in reply
    assert await requests_served(gateway) == before


async def test_a_request_that_never_ran_has_no_data_entry_in_either_media_type(gateway):
    for body in ({"query": PAGE, "variables": {"first": "ten"}}, {"query": "{ nope }"}):
        for accept in (GRAPHQL_RESPONSE, "application/json"):
            _, _, reply = await post(gateway, body, accept)
            assert "data" not in reply and codes(reply) == {"BAD_USER_INPUT"}, (body, accept)


async def test_a_document_that_ran_is_200_even_when_a_field_failed(gateway):
    document = '{ smsRecords(first: 2, after: "not-a-cursor") { nodes { id } } }'
    status, media, reply = await post(gateway, {"query": document}, GRAPHQL_RESPONSE)
    assert (status, media) == (200, GRAPHQL_RESPONSE)
    assert "data" in reply and reply["data"] is None and codes(reply) == {"BAD_CURSOR"}


async def test_a_query_over_get_answers_as_over_post_and_may_be_cached(gateway):
    variables = {"first": 5, "order": "CREATED_AT_ASC"}
    params = {"query": PAGE, "variables": json.dumps(variables), "operationName": "Page"}
    status, headers, reply = await get(gateway, params, {"X-Request-Id": "get-page-1"})
    assert status == 200
    assert len(reply["data"]["smsRecords"]["edges"]) == 5
    assert reply == await gateway.gql(PAGE, variables)
    assert headers["Cache-Control"] == "public, max-age=45"
    vary = {part.strip() for part in headers["Vary"].split(",")}
    assert vary == {"Accept", "Accept-Encoding", "Authorization"}
    assert headers["X-Request-Id"] == "get-page-1"


async def test_a_get_answer_with_errors_is_not_cached(gateway):
    params = {"query": '{ smsRecords(last: 2, before: "bad") { nodes { id } } }'}
    status, headers, reply = await get(gateway, params)
    assert status == 200 and codes(reply) == {"BAD_CURSOR"}
    assert headers["Cache-Control"] == "no-store"


async def test_a_mutation_over_get_is_refused_and_not_run(gateway):
    first = await gateway.gql(
        '{ smsRecords(first: 1, filter: {providers: ["cx-a"]}) { nodes { id } } }'
    )
    record = first["data"]["smsRecords"]["nodes"][0]["id"]
    before = await requests_served(gateway)
    params = {"query": MUTATION, "variables": json.dumps({"id": record})}
    for accept in ("application/json", GRAPHQL_RESPONSE):
        status, headers, reply = await get(gateway, params, {"Accept": accept})
        assert status == 405 and headers["Allow"] == "POST"
        assert codes(reply) == {"BAD_USER_INPUT"}
        assert "POST" in reply["errors"][0]["message"]
        assert headers["Cache-Control"] == "no-store"
    assert await requests_served(gateway) == before


async def test_get_holds_to_the_cost_and_size_limits(gateway):
    before = await requests_served(gateway)
    status, _, reply = await get(gateway, {"query": "{ smsRecords(first: 31) { nodes { id } } }"})
    assert status == 200 and reply["errors"][0]["extensions"]["cost"] == 62
    padding = " " * 4100
    status, headers, reply = await get(gateway, {"query": "{ providers { name } }" + padding})
    assert status == 414 and codes(reply) == {"BAD_USER_INPUT"}
    assert "4096 bytes" in reply["errors"][0]["message"]
    assert headers["X-Request-Id"]
    assert await requests_served(gateway) == before


async def test_get_and_post_share_one_compiled_plan(gateway):
    document = "query Shared { smsRecords(first: 3) { nodes { id provider { name } } } }"

    def plans() -> float:
        return REGISTRY.get_sample_value("gateway_documents_prepared_total", {"stage": "plan"}) or 0

    before = plans()
    status, _, over_get = await get(gateway, {"query": document})
    assert status == 200
    assert over_get == await gateway.gql(document)
    assert plans() - before == 1


async def test_a_browser_still_gets_graphiql(gateway):
    url = gateway.gateway_url + "/graphql"
    async with gateway.http.get(url, headers={"Accept": "text/html"}) as response:
        assert response.status == 200 and response.content_type == "text/html"


async def test_get_needs_the_bearer_token_and_is_kept_only_by_the_callers_browser(guarded):
    params = {"query": "{ providers { name } }"}
    status, headers, reply = await get(guarded, params)
    assert status == 401 and headers["WWW-Authenticate"] == "Bearer"
    assert codes(reply) == {"UNAUTHENTICATED"}
    status, headers, reply = await get(guarded, params, {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200 and len(reply["data"]["providers"]) == 2
    assert headers["Cache-Control"].startswith("private,")
    assert "Authorization" in headers["Vary"]


async def test_answers_of_errors_only_are_encoded_as_compactly_as_any_other(gateway, guarded):
    url = gateway.gateway_url + "/graphql"
    mutation = {"query": MUTATION, "variables": json.dumps({"id": "x"})}
    refusals = [
        gateway.http.get(url, params=mutation),
        gateway.http.get(url, params={"query": "{ providers { name } }" + " " * 4100}),
        gateway.http.post(url, data=b"{" + b" " * 5000 + b"}"),
        gateway.http.post(url, data=b"[1"),
        guarded.http.post(guarded.gateway_url + "/graphql", json={"query": "{ __typename }"}),
    ]
    for refusal in refusals:
        async with refusal as response:
            body = await response.read()
        assert response.status in {400, 401, 405, 413, 414}
        assert body == orjson.dumps(json.loads(body)), body
