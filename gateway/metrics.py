"""Prometheus metrics of the gateway process, served at `/metrics`."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Counter(
    "gateway_http_requests_total",
    "HTTP requests served, by path and status.",
    ["path", "status"],
    registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "gateway_http_request_seconds",
    "Time to serve an HTTP request, by path.",
    ["path"],
    registry=REGISTRY,
)
UPSTREAM_REQUESTS = Counter(
    "gateway_upstream_requests_total",
    "Requests sent to provider accounts, by account and outcome (an HTTP status, `timeout` or "
    "`unreachable`); retries count one each.",
    ["provider", "outcome"],
    registry=REGISTRY,
)
UPSTREAM_LATENCY = Histogram(
    "gateway_upstream_request_seconds",
    "Time of one request to a provider account, reply read, by account.",
    ["provider"],
    registry=REGISTRY,
)
BREAKER_OPEN = Gauge(
    "gateway_provider_breaker_open",
    "1 while an account's circuit breaker refuses calls without asking it, else 0.",
    ["provider"],
    registry=REGISTRY,
)
DOCUMENTS_PREPARED = Counter(
    "gateway_documents_prepared_total",
    "GraphQL documents parsed, validated or compiled into a plan anew, by stage (`parse`, "
    "`validate`, `plan`); documents seen before are served from bounded caches and not counted.",
    ["stage"],
    registry=REGISTRY,
)
PERSISTED_QUERIES = Counter(
    "gateway_persisted_queries_total",
    "Automatic persisted-query lookups and registrations, by outcome (`hit`: a hash-only "
    "request found its document; `miss`: it did not, and the client is told to send it; "
    "`registered`: a document came with its hash and was kept).",
    ["outcome"],
    registry=REGISTRY,
)
