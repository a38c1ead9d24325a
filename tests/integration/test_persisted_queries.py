"""Automatic persisted queries as Apollo's clients speak them, over POST and GET: an unknown
hash is answered PERSISTED_QUERY_NOT_FOUND, the document sent with its hash is checked and
kept, and then the hash alone stands for it; kept in a bounded store, or in Redis for every
replica."""

import hashlib
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from gateway.auth import token_sha256
from gateway.metrics import REGISTRY
from gateway.persisted_queries import ENTRY_OVERHEAD_BYTES
from tests.support.simulators import Simulated, requests_served

from .accounts import deploy

NOT_FOUND = {
    "errors": [
        {"message": "PersistedQueryNotFound", "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}
    ]
}
TOKEN = "apq-reader-" + "a" * 40


def persisted(document: str) -> dict[str, Any]:
    digest = hashlib.sha256(document.encode()).hexdigest()
    return {"persistedQuery": {"version": 1, "sha256Hash": digest}}


def page_document(marker: str) -> str:
    """A page query no other test sends: its hash is unknown to every store at first."""
    return f"query Page_{marker} {{ smsRecords(first: 3) {{ nodes {{ id providerRecordId }} }} }}"


class Client:
    """Sends documents, hashes or both to one replica, as Apollo's persisted-query link does."""

    def __init__(self, deployment: Simulated, replica: int = 0, token: str | None = None) -> None:
        self.deployment = deployment
        self.url = deployment.gql.urls[replica]
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    async def post(self, body: dict[str, Any]) -> tuple[int, Any, Any]:
        http = self.deployment.http
        async with http.post(self.url, json=body, headers=self.headers) as response:
            return response.status, response.headers.copy(), await response.json()

    async def get(self, document: str, *, send_document: bool = False) -> tuple[int, Any, Any]:
        params = {"extensions": json.dumps(persisted(document))}
        if send_document:
            params["query"] = document
        headers = {**self.headers, "Accept": "*/*"}
        async with self.deployment.http.get(self.url, params=params, headers=headers) as response:
            return response.status, response.headers.copy(), await response.json(content_type=None)

    async def hash_only(self, document: str) -> Any:
        status, _, reply = await self.post({"extensions": persisted(document)})
        assert status == 200
        return reply

    async def register(self, document: str) -> Any:
        status, _, reply = await self.post({"query": document, "extensions": persisted(document)})
        assert status == 200 and "errors" not in reply, reply
        return reply


def lookups(outcome: str) -> float:
    return REGISTRY.get_sample_value("gateway_persisted_queries_total", {"outcome": outcome}) or 0


@pytest.fixture(scope="module")
async def gateway() -> AsyncIterator[Simulated]:
    deployed = await deploy(dfs_count=30, cx_counts=(30,))
    yield deployed
    await deployed.close()


async def test_an_unknown_hash_is_not_found_then_the_document_is_registered_and_hit(gateway):
    client, document = Client(gateway), page_document("post")
    counts = {outcome: lookups(outcome) for outcome in ("hit", "miss", "registered")}
    status, headers, reply = await client.post({"extensions": persisted(document)})
    assert (status, reply) == (200, NOT_FOUND)
    assert headers["Cache-Control"] == "no-store"
    registered = await client.register(document)
    assert len(registered["data"]["smsRecords"]["nodes"]) == 3
    assert await client.hash_only(document) == registered
    assert registered == await gateway.gql(document)
    assert {outcome: lookups(outcome) - before for outcome, before in counts.items()} == {
        "hit": 1,
        "miss": 1,
        "registered": 1,
    }


async def test_get_carries_hashes_too_and_a_miss_is_never_cached(gateway):
    client, document = Client(gateway), page_document("get")
    status, headers, reply = await client.get(document)
    assert (status, reply) == (200, NOT_FOUND)
    assert headers["Cache-Control"] == "no-store"
    status, _, registered = await client.get(document, send_document=True)
    assert status == 200 and len(registered["data"]["smsRecords"]["nodes"]) == 3
    status, headers, reply = await client.get(document)
    assert (status, reply) == (200, registered)
    assert headers["Cache-Control"].startswith("public, max-age=")


async def test_a_hash_that_is_not_the_documents_is_refused_and_not_kept(gateway):
    client = Client(gateway)
    document, other = page_document("honest"), page_document("forged")
    status, _, reply = await client.post({"query": other, "extensions": persisted(document)})
    assert status == 400
    (error,) = reply["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "sha256Hash" in error["message"]
    assert await client.hash_only(document) == NOT_FOUND


@pytest.mark.parametrize(
    "extension",
    [
        {"version": 2, "sha256Hash": "0" * 64},
        {"version": 1, "sha256Hash": "not-a-hash"},
        {"version": 1},
        "v1",
    ],
)
async def test_a_malformed_persisted_query_is_refused(gateway, extension):
    status, _, reply = await Client(gateway).post({"extensions": {"persistedQuery": extension}})
    assert status == 400
    assert reply["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "persistedQuery" in reply["errors"][0]["message"]


async def test_a_mutation_named_by_its_hash_runs_over_post_only(gateway):
    listed = await gateway.gql(
        '{ smsRecords(first: 1, filter: {providers: ["cx-a"]}) { nodes { id } } }'
    )
    record = listed["data"]["smsRecords"]["nodes"][0]["id"]
    mutation = (
        f'mutation Mark {{ updateSmsRecordUserData(input: {{id: "{record}", userData: "by hash"}})'
        " { errors { code } } }"
    )
    client = Client(gateway)
    before = await requests_served(gateway)
    status, headers, _ = await client.get(mutation, send_document=True)
    assert status == 405 and headers["Allow"] == "POST"
    assert await requests_served(gateway) == before
    status, _, reply = await client.post({"query": mutation, "extensions": persisted(mutation)})
    assert status == 200 and reply["data"]["updateSmsRecordUserData"]["errors"] == []
    written = await requests_served(gateway)
    assert written["cx-a"] > before["cx-a"]
    status, headers, _ = await client.get(mutation)
    assert status == 405 and headers["Allow"] == "POST"
    assert await requests_served(gateway) == written
    assert await client.hash_only(mutation) == reply
    assert (await requests_served(gateway))["cx-a"] > written["cx-a"]


@pytest.mark.parametrize(
    "document",
    [
        "{ smsRecords(first: 3) { nodes { id } ",
        "{ smsRecords(first: 3) { nodes { noSuchField } } }",
        "query Sized($n: Int!) { smsRecords(first: $n) { nodes { id } } }",
    ],
)
async def test_a_document_that_never_ran_is_not_kept(gateway, document):
    client, registered = Client(gateway), lookups("registered")
    status, _, reply = await client.post({"query": document, "extensions": persisted(document)})
    assert status == 200 and "data" not in reply
    assert reply["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert lookups("registered") == registered
    assert await client.hash_only(document) == NOT_FOUND


async def test_hashes_need_the_bearer_token_like_documents():
    clients = [{"name": "reader", "token_sha256": token_sha256(TOKEN), "providers": ["*"]}]
    deployed = await deploy(dfs_count=5, cx_counts=(5,), settings={"clients": clients})
    try:
        document = page_document("guarded")
        status, _, reply = await Client(deployed).get(document)
        assert status == 401 and reply["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        client = Client(deployed, token=TOKEN)
        assert await client.hash_only(document) == NOT_FOUND
        await client.register(document)
        status, _, reply = await client.get(document)
        assert status == 200 and len(reply["data"]["smsRecords"]["nodes"]) == 3
    finally:
        await deployed.close()


async def test_replicas_on_one_redis_share_the_documents(redis_url):
    deployed = await deploy(
        dfs_count=10,
        cx_counts=(10,),
        cache={"backend": "redis", "redis_url": redis_url},
        replicas=2,
    )
    try:
        document = page_document("shared")
        first, second = Client(deployed, 0), Client(deployed, 1)
        assert await second.hash_only(document) == NOT_FOUND
        registered = await first.register(document)
        assert await second.hash_only(document) == registered
        status, _, over_get = await second.get(document)
        assert (status, over_get) == (200, registered)
    finally:
        await deployed.close()


async def test_the_in_memory_store_keeps_the_most_recently_used_within_its_bound():
    """4 KiB of documents: two of 1.5 KB fit, a third pushes out the least recently used."""
    deployed = await deploy(
        dfs_count=5, cx_counts=(5,), cache={"persisted_queries_max_mb": 4096 / 1024**2}
    )
    try:
        client = Client(deployed)
        padded = {name: page_document(name) + " " * 1500 for name in ("a", "b", "c")}
        await client.register(padded["a"])
        await client.register(padded["b"])
        assert "data" in await client.hash_only(padded["a"])
        await client.register(padded["c"])
        assert await client.hash_only(padded["b"]) == NOT_FOUND
        assert "data" in await client.hash_only(padded["a"])
        assert "data" in await client.hash_only(padded["c"])
    finally:
        await deployed.close()


async def test_many_tiny_documents_count_what_each_costs_and_stay_within_the_bound():
    """Each kept document counts its key and the store's bookkeeping besides its text, so
    16 KiB holds a few dozen tiny documents, not the hundreds their text alone would fit."""
    bound = 16 * 1024
    deployed = await deploy(
        dfs_count=5, cx_counts=(5,), cache={"persisted_queries_max_mb": bound / 1024**2}
    )
    try:
        client = Client(deployed)
        documents = [f"{{ t{index}: __typename }}" for index in range(200)]
        for document in documents:
            await client.register(document)
        kept = [document for document in documents if "data" in await client.hash_only(document)]
        smallest = min(len(document) for document in documents)
        assert 0 < len(kept) <= bound // (ENTRY_OVERHEAD_BYTES + smallest)
        assert kept == documents[-len(kept) :]
    finally:
        await deployed.close()
