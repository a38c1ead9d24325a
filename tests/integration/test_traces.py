"""Traces: a span per GraphQL operation in the caller's trace, a child span per upstream
attempt, exported over OTLP/HTTP to the collector the config or the environment names."""

import asyncio
import os
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from gateway.server.app import TRACING
from gateway.tracing import UNNAMED_OPERATION
from tests.support.collector import Collector, collecting
from tests.support.deployment import SECRET
from tests.support.serving import demo_command, unused_port
from tests.support.simulators import (
    CX_TOKEN,
    DFS_KEY,
    DFS_TOKEN,
    Simulated,
    control,
    requests_served,
)

from .accounts import deploy

PAGE = "query SmsPage($first: Int) { smsRecords(first: $first) { nodes { id provider { name } } } }"
CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"

KIND = {"dfs": "didforsale", "cx-a": "carrierx", "cx-b": "carrierx"}


def traceparent(trace_id: str, span_id: str = CALLER_SPAN) -> str:
    return f"00-{trace_id}-{span_id}-01"


async def deploy_traced(collector: Collector, **telemetry) -> Simulated:
    """The integration accounts without a page cache (every page asks its accounts), reads
    retried twice at once, traces sent to `collector`."""
    return await deploy(
        dfs_count=60,
        cx_counts=(60, 30),
        cache={"ttl_seconds": 0},
        policy={"retries": 2, "retry_backoff_seconds": 0},
        settings={"telemetry": {"otlp_endpoint": collector.url, **telemetry}},
    )


@pytest.fixture
async def traced() -> AsyncIterator[tuple[Simulated, InMemorySpanExporter]]:
    """A traced gateway whose spans are also kept in memory as they end."""
    async with collecting() as collector:
        deployed = await deploy_traced(collector)
        spans = InMemorySpanExporter()
        deployed.apps[0][TRACING].provider.add_span_processor(SimpleSpanProcessor(spans))
        try:
            yield deployed, spans
        finally:
            await deployed.close()


async def post(
    deployment: Simulated, query: str, variables: dict | None = None, **headers: str
) -> tuple[dict, str]:
    """The reply to one document, and the request id the gateway answered with."""
    async with deployment.http.post(
        deployment.gateway_url + "/graphql",
        json={"query": query, "variables": variables or {}},
        headers=headers,
    ) as response:
        assert response.status == 200, await response.text()
        return await response.json(), response.headers["X-Request-Id"]


def hex_id(number: int, digits: int) -> str:
    return format(number, f"0{digits}x")


def operations(spans: tuple[ReadableSpan, ...]) -> list[ReadableSpan]:
    return [span for span in spans if span.kind is SpanKind.SERVER]


def upstream(spans: tuple[ReadableSpan, ...], account: str | None = None) -> list[ReadableSpan]:
    return [
        span
        for span in spans
        if span.kind is SpanKind.CLIENT
        and account in (None, span.attributes["sms_gateway.account"])
    ]


def said(spans: tuple[ReadableSpan, ...]) -> list[str]:
    """Every name, attribute value and status message the spans carry, as text."""
    texts = []
    for span in spans:
        texts += [span.name, span.status.description or ""]
        texts += [str(value) for value in span.attributes.values()]
        texts += [str(value) for value in span.resource.attributes.values()]
    return texts


def assert_nothing_secret(spans: tuple[ReadableSpan, ...], deployment: Simulated) -> None:
    secrets = [DFS_KEY, DFS_TOKEN, CX_TOKEN, SECRET, "http://", *deployment.roots.values()]
    for text in said(spans):
        assert not any(secret in text for secret in secrets), text


async def test_an_operation_continues_the_callers_trace_and_has_a_span_per_upstream_call(
    traced,
):
    deployment, spans = traced
    before = await requests_served(deployment)
    body, request_id = await post(
        deployment, PAGE, {"first": 10}, traceparent=traceparent(CALLER_TRACE)
    )
    assert len(body["data"]["smsRecords"]["nodes"]) == 10, body
    after = await requests_served(deployment)
    asked = {account: after[account] - before[account] for account in after}
    finished = spans.get_finished_spans()

    (operation,) = operations(finished)
    assert operation.name == "query SmsPage"
    assert hex_id(operation.context.trace_id, 32) == CALLER_TRACE
    assert hex_id(operation.parent.span_id, 16) == CALLER_SPAN
    assert dict(operation.attributes) == {
        "graphql.operation.type": "query",
        "graphql.operation.name": "SmsPage",
        "sms_gateway.request_id": request_id,
        "sms_gateway.client": "anonymous",
    }
    calls = upstream(finished)
    assert Counter(span.attributes["sms_gateway.account"] for span in calls) == asked
    assert set(asked) == set(KIND)
    for span in calls:
        account = span.attributes["sms_gateway.account"]
        assert span.context.trace_id == operation.context.trace_id
        assert span.parent.span_id == operation.context.span_id
        assert span.name == f"{KIND[account]} list"
        assert dict(span.attributes) == {
            "sms_gateway.account": account,
            "sms_gateway.provider_kind": KIND[account],
            "sms_gateway.call": "list",
            "sms_gateway.attempt": 1,
            "sms_gateway.outcome": "200",
            "http.request.method": "POST" if account == "dfs" else "GET",
            "http.response.status_code": 200,
        }
        assert span.status.status_code is StatusCode.UNSET
    assert_nothing_secret(finished, deployment)


async def test_lookups_and_writes_are_named_for_their_operation_and_call(traced):
    deployment, spans = traced
    body, _ = await post(deployment, PAGE, {"first": 40})
    nodes = body["data"]["smsRecords"]["nodes"]
    ids = [next(node["id"] for node in nodes if node["provider"]["name"] == name) for name in KIND]
    spans.clear()
    lookup = "query Lookup($ids: [ID!]!) { nodes(ids: $ids) { id } }"
    body, _ = await post(deployment, lookup, {"ids": ids})
    assert [node["id"] for node in body["data"]["nodes"]] == ids
    (operation,) = operations(spans.get_finished_spans())
    assert operation.name == "query Lookup"
    calls = {
        (span.attributes["sms_gateway.account"], span.attributes["sms_gateway.call"])
        for span in upstream(spans.get_finished_spans())
    }
    # DIDforSale has no lookup by id: a record is found by listing its second.
    assert calls == {("dfs", "list"), ("cx-a", "get"), ("cx-b", "get")}

    spans.clear()
    write = (
        'mutation Note($id: ID!) { updateSmsRecordUserData(input: {id: $id, userData: "x"})'
        " { smsRecord { id } } }"
    )
    body, _ = await post(deployment, write, {"id": ids[1]})
    assert body["data"]["updateSmsRecordUserData"]["smsRecord"]["id"] == ids[1]
    (operation,) = operations(spans.get_finished_spans())
    assert operation.name == "mutation Note"
    assert dict(operation.attributes)["graphql.operation.type"] == "mutation"
    (call,) = upstream(spans.get_finished_spans())
    assert call.name == "carrierx update"
    assert call.attributes["http.request.method"] == "PATCH"
    assert call.attributes["sms_gateway.account"] == "cx-a"


async def test_a_failing_account_gives_error_spans_numbered_by_attempt(traced):
    deployment, spans = traced
    await control(deployment, "cx-a", "faults", {"status": 503, "times": 1})
    body, _ = await post(deployment, PAGE, {"first": 10})
    assert "errors" not in body
    recovered = sorted(upstream(spans.get_finished_spans(), "cx-a"), key=attempt)
    assert [(attempt(s), s.attributes["sms_gateway.outcome"]) for s in recovered] == [
        (1, "503"),
        (2, "200"),
    ]
    assert [s.status.status_code for s in recovered] == [StatusCode.ERROR, StatusCode.UNSET]

    spans.clear()
    await control(deployment, "cx-a", "faults", {"status": 503, "times": 3})
    body, _ = await post(deployment, PAGE, {"first": 10})
    assert [error["extensions"]["code"] for error in body["errors"]] == ["PROVIDER_UNAVAILABLE"]
    failed = sorted(upstream(spans.get_finished_spans(), "cx-a"), key=attempt)
    assert [attempt(span) for span in failed] == [1, 2, 3]
    for span in failed:
        assert span.status.status_code is StatusCode.ERROR
        assert span.status.description == "carrierx account 'cx-a' is unavailable (HTTP 503)"
        assert span.attributes["sms_gateway.outcome"] == "503"
        assert span.attributes["error.type"] == "503"
    others = upstream(spans.get_finished_spans())
    assert {s.attributes["sms_gateway.account"] for s in others} == set(KIND)
    assert all(
        span.status.status_code is StatusCode.UNSET
        for span in others
        if span.attributes["sms_gateway.account"] != "cx-a"
    )
    assert_nothing_secret(spans.get_finished_spans(), deployment)


def attempt(span: ReadableSpan) -> int:
    return span.attributes["sms_gateway.attempt"]


async def test_concurrent_operations_keep_their_upstream_spans(traced):
    deployment, spans = traced
    traces = [f"{n:032x}" for n in range(1, 5)]
    await asyncio.gather(
        *(
            post(deployment, PAGE, {"first": 5 + n}, traceparent=traceparent(trace))
            for n, trace in enumerate(traces)
        )
    )
    finished = spans.get_finished_spans()
    by_trace = {hex_id(span.context.trace_id, 32): span for span in operations(finished)}
    assert set(by_trace) == set(traces)
    for trace, operation in by_trace.items():
        children = [s for s in upstream(finished) if s.parent.span_id == operation.context.span_id]
        assert {hex_id(s.context.trace_id, 32) for s in children} == {trace}
        assert {s.attributes["sms_gateway.account"] for s in children} == set(KIND)
    assert len(upstream(finished)) == sum(
        len([s for s in upstream(finished) if s.parent.span_id == o.context.span_id])
        for o in by_trace.values()
    )


async def test_a_document_refused_for_its_cost_is_named_and_an_unsent_name_never(traced):
    deployment, spans = traced
    pages = " ".join(f"p{n}: smsRecords(first: 100) {{ nodes {{ id }} }}" for n in range(10))
    body, _ = await post(deployment, f"query Everything {{ {pages} }}")
    assert "over the limit" in body["errors"][0]["message"], body
    (refused,) = operations(spans.get_finished_spans())
    assert refused.name == "query Everything"
    assert not upstream(spans.get_finished_spans())

    spans.clear()
    payload = {"query": PAGE + " query Other { __typename }", "operationName": "Unsent"}
    async with deployment.http.post(deployment.gateway_url + "/graphql", json=payload) as sent:
        assert (await sent.json())["errors"]
    (unnamed,) = operations(spans.get_finished_spans())
    assert "Unsent" not in said((unnamed,))
    assert unnamed.name == UNNAMED_OPERATION


async def one_traced_page(collector: Collector, **telemetry: str) -> None:
    """A page through a gateway of its own whose traces go to `collector`, closed then,
    which sends the spans still batched."""
    deployment = await deploy_traced(collector, **telemetry)
    try:
        await post(deployment, PAGE, {"first": 3})
    finally:
        await deployment.close()


async def test_spans_reach_the_configured_collector_under_the_service_name(monkeypatch):
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=staging")
    async with collecting() as collector:
        await one_traced_page(collector, service_name="records-edge")
    assert "query SmsPage" in collector.span_names()
    assert "carrierx list" in collector.span_names()
    for resource in collector.resources():
        assert resource["service.name"] == "records-edge"
        assert resource["deployment.environment.name"] == "staging"


async def test_the_otel_environment_variables_win_over_the_config(monkeypatch):
    async with collecting() as collector:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.url)
        monkeypatch.setenv("OTEL_SERVICE_NAME", "from-the-environment")
        nowhere = Collector(url=f"http://127.0.0.1:{unused_port()}")
        await one_traced_page(nowhere, service_name="from-the-config")
    assert "query SmsPage" in collector.span_names()
    assert {r["service.name"] for r in collector.resources()} == {"from-the-environment"}


async def test_the_sampler_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "always_off")
    async with collecting() as collector:
        deployment = await deploy_traced(collector)
        spans = InMemorySpanExporter()
        deployment.apps[0][TRACING].provider.add_span_processor(SimpleSpanProcessor(spans))
        try:
            body, _ = await post(deployment, PAGE, {"first": 3})
        finally:
            await deployment.close()
    assert len(body["data"]["smsRecords"]["nodes"]) == 3
    assert spans.get_finished_spans() == ()
    assert collector.exports == []


async def test_without_the_key_no_span_is_made(monkeypatch):
    """Even with a collector in the environment: traces are on only by the config's key."""
    async with collecting() as collector:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.url)
        deployment = await deploy(dfs_count=20, cx_counts=(20,))
        try:
            body, _ = await post(deployment, PAGE, {"first": 3}, traceparent=traceparent("a" * 32))
        finally:
            await deployment.close()
    assert len(body["data"]["smsRecords"]["nodes"]) == 3
    assert collector.exports == []


WITHOUT_THE_EXTRA = (
    "import sys; sys.modules['opentelemetry'] = None; "
    "from gateway.cli import main; sys.exit(main())"
)
"""The command line as it runs where the `otel` extra is not installed."""


async def test_without_the_extra_the_key_is_a_config_error(tmp_path: Path):
    config = tmp_path / "gateway.toml"
    config.write_text(
        '[security]\ncursor_secret = "0123456789abcdef0123"\n'
        '[telemetry]\notlp_endpoint = "http://collector:4318"\n'
        '[[providers]]\nname = "cx"\nkind = "carrierx"\n'
        'base_url = "http://127.0.0.1:9"\ntoken = "t"\n'
    )
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-c", WITHOUT_THE_EXTRA, "serve", "--config", str(config)),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 2
    assert stderr.decode().strip() == (
        "sms-gateway: config error: telemetry.otlp_endpoint: Value error, "
        "traces need the otel extra: pip install 'sms-gateway[otel]'"
    )


async def test_without_the_extra_the_gateway_serves_as_ever():
    nowhere = {**os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9"}
    launcher = ("-c", WITHOUT_THE_EXTRA)
    async with (
        demo_command([], launcher=launcher, env=nowhere) as (url, _),
        aiohttp.ClientSession() as http,
        http.post(
            f"{url}/graphql",
            json={"query": PAGE, "variables": {"first": 4}},
            headers={"traceparent": traceparent(CALLER_TRACE)},
        ) as response,
    ):
        body = await response.json()
    assert len(body["data"]["smsRecords"]["nodes"]) == 4
