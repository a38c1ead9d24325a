"""`/metrics` after real requests: errors by code, the page cache's hits and misses, and the
time of GraphQL requests by operation, with a label set clients cannot grow.

The metrics belong to the process, which every in-process gateway of the suite shares, so
each test reads them before and after its own requests and checks what they added; the
bound on operation names is checked in a gateway process of its own."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from gateway.metrics import MAX_OPERATION_LABELS
from tests.support.graphql import GraphQL
from tests.support.serving import serve_command
from tests.support.simulators import Simulated, control, providers_toml, requests_served

from .accounts import deploy

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(http: aiohttp.ClientSession, root: str) -> Samples:
    async with http.get(root + "/metrics") as response:
        assert response.status == 200
        text = await response.text()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def added(before: Samples, after: Samples, name: str, **labels: str) -> float:
    key = (name, frozenset(labels.items()))
    return after.get(key, 0.0) - before.get(key, 0.0)


@pytest.fixture
async def simulators() -> AsyncIterator[Simulated]:
    deployed = await deploy(dfs_count=40, cx_counts=(40,), policy={"retries": 0})
    yield deployed
    await deployed.close()


async def test_requests_by_client_and_errors_by_code(simulators):
    gql = simulators.gql
    before = await scrape(simulators.http, simulators.gateway_url)
    await gql("{ nope }")
    await gql('{ smsRecords(after: "not-a-cursor") { nodes { id } } }')
    await control(simulators, "cx-a", "faults", {"status": 503, "times": 1})
    page = await gql("{ smsRecords(first: 3) { nodes { id } } }")
    async with simulators.http.post(simulators.gql.urls[0], data=b"[not json") as response:
        assert response.status == 400
    after = await scrape(simulators.http, simulators.gateway_url)

    assert [e["extensions"]["code"] for e in page["errors"]] == ["PROVIDER_UNAVAILABLE"]
    assert added(before, after, "gateway_graphql_requests_total", client="anonymous") == 4
    errors = "gateway_graphql_errors_total"
    assert added(before, after, errors, code="BAD_USER_INPUT") == 2
    assert added(before, after, errors, code="BAD_CURSOR") == 1
    assert added(before, after, errors, code="PROVIDER_UNAVAILABLE") == 1


@pytest.mark.parametrize("backend", ["memory", "redis"])
async def test_page_cache_hits_and_misses_by_account_and_backend(backend, request):
    cache: dict[str, Any] = {"backend": backend}
    if backend == "redis":
        cache["redis_url"] = request.getfixturevalue("redis_url")
    deployment = await deploy(dfs_count=40, cx_counts=(40,), cache=cache)
    try:
        query = "{ smsRecords(first: 5) { nodes { id } } }"
        before, asked = (
            await scrape(deployment.http, deployment.gateway_url),
            await requests_served(deployment),
        )
        await deployment.gql(query)
        first, asked_first = (
            await scrape(deployment.http, deployment.gateway_url),
            await requests_served(deployment),
        )
        await deployment.gql(query)
        second, asked_second = (
            await scrape(deployment.http, deployment.gateway_url),
            await requests_served(deployment),
        )
    finally:
        await deployment.close()

    assert asked_second == asked_first, "the same page again is served from the cache"
    for account in ("dfs", "cx-a"):
        labels = {"provider": account, "backend": backend}
        loads = asked_first[account] - asked[account]
        assert loads > 0
        assert added(before, first, "gateway_page_cache_misses_total", **labels) == loads
        assert added(before, first, "gateway_page_cache_hits_total", **labels) == 0
        assert added(first, second, "gateway_page_cache_hits_total", **labels) == loads
        assert added(first, second, "gateway_page_cache_misses_total", **labels) == 0


async def test_graphql_time_by_operation_with_a_bounded_label_set(simulators, tmp_path):
    """In a gateway process of its own, whose label set starts empty."""
    config = tmp_path / "gateway.toml"
    config.write_text(f'[security]\ncursor_secret = "{"s" * 32}"\n\n{providers_toml(simulators)}')
    latency = "gateway_graphql_request_seconds_count"
    async with serve_command(config, []) as url:
        gql = GraphQL(simulators.http, [url + "/graphql"])
        before = await scrape(simulators.http, url)
        await gql("query RecentTexts { smsRecords(first: 2) { nodes { id } } }")
        await gql("{ __typename }")
        await gql(f"query {'Long' * 20} {{ __typename }}")
        for number in range(MAX_OPERATION_LABELS + 10):
            await gql(f"query Fresh{number} {{ __typename }}")
        after = await scrape(simulators.http, url)

    assert added(before, after, latency, operation="RecentTexts") == 1
    assert added(before, after, latency, operation="anonymous") == 1
    assert added(before, after, latency, operation="Fresh0") == 1
    assert added(before, after, latency, operation="other") == 1 + 11
    operations = {dict(labels)["operation"] for name, labels in after if name == latency}
    assert len(operations) == MAX_OPERATION_LABELS + 2, "names beyond the bound are `other`"
    buckets = [
        value
        for (name, labels), value in after.items()
        if name == "gateway_graphql_request_seconds_bucket"
        and dict(labels)["operation"] == "RecentTexts"
    ]
    assert max(buckets) == 1


async def test_only_documents_that_ran_take_a_label_and_never_a_name_they_lack(
    simulators, tmp_path
):
    """Failing documents of endless distinct names, and `operationName`s the document does not
    hold, leave the label set and the log lines to the operations that ran."""
    config = tmp_path / "gateway.toml"
    config.write_text(
        f'[security]\ncursor_secret = "{"s" * 32}"\n\n[limits]\nmax_cost = 100\n\n'
        + providers_toml(simulators)
    )
    latency = "gateway_graphql_request_seconds_count"
    two = "query RecentTexts { smsRecords(first: 2) { nodes { id } } } query Other { __typename }"
    lines: list[str] = []
    async with serve_command(config, lines) as url:
        gql = GraphQL(simulators.http, [url + "/graphql"])

        async def named(operation_name: str) -> dict[str, Any]:
            payload = {"query": two, "operationName": operation_name}
            async with simulators.http.post(url + "/graphql", json=payload) as response:
                return await response.json()

        before = await scrape(simulators.http, url)
        for number in range(MAX_OPERATION_LABELS + 10):
            body = await gql(f"query Invalid{number} {{ nope }}")
            assert "Cannot query field" in body["errors"][0]["message"]
            body = await gql(
                f"query Costly{number} {{ smsRecords(first: 100) {{ nodes {{ id }} }} }}"
            )
            assert "over the limit" in body["errors"][0]["message"]
            body = await named(f"Unsent{number}")
            assert body["errors"] and body.get("data") is None, body
        assert "errors" not in await named("RecentTexts")
        after = await scrape(simulators.http, url)

    operations = {
        dict(labels)["operation"]
        for name, labels in after
        if name == latency and added(before, after, name, **dict(labels))
    }
    assert operations == {"RecentTexts"}
    assert not [line for line in lines if "Unsent" in line or "Invalid" in line]
    named_lines = [json.loads(line).get("operation") for line in lines]
    assert named_lines.count("RecentTexts") == 1
    assert named_lines.count("Costly0") == 1, "refused by its cost after validation"
