"""Prometheus metrics of the gateway process, served at `/metrics`."""

from __future__ import annotations

import re
from contextvars import ContextVar

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
GRAPHQL_REQUESTS = Counter(
    "gateway_graphql_requests_total",
    "GraphQL requests let in, by client: its `[[clients]]` name, `jwt` for a JWT, `anonymous` on "
    "an open gateway.",
    ["client"],
    registry=REGISTRY,
)
GRAPHQL_ERRORS = Counter(
    "gateway_graphql_errors_total",
    "Errors in GraphQL responses, by `extensions.code`; a response with several errors counts "
    "each.",
    ["code"],
    registry=REGISTRY,
)
GRAPHQL_LATENCY = Histogram(
    "gateway_graphql_request_seconds",
    "Time to answer a GraphQL request whose document ran (a page of records, totals, a write), "
    "by operation name (see `operation_label`).",
    ["operation"],
    registry=REGISTRY,
)
PAGE_CACHE_HITS = Counter(
    "gateway_page_cache_hits_total",
    "Provider replies found in the page cache, by account and cache backend.",
    ["provider", "backend"],
    registry=REGISTRY,
)
PAGE_CACHE_MISSES = Counter(
    "gateway_page_cache_misses_total",
    "Provider replies not in the page cache (loaded, or awaited from a load already under way), "
    "by account and cache backend.",
    ["provider", "backend"],
    registry=REGISTRY,
)

MAX_OPERATION_LABELS = 50
_OPERATION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_operations: set[str] = set()


def operation_label(name: object) -> str:
    """An operation name as the `operation` label, from a set that clients cannot grow
    without bound: `anonymous` for a document without a name; `other` for a name that is not a
    GraphQL name of at most 64 characters, or one beyond the first `MAX_OPERATION_LABELS`
    names this process has seen."""
    if name is None:
        return "anonymous"
    if not isinstance(name, str) or not _OPERATION_NAME.fullmatch(name):
        return "other"
    if name not in _operations:
        if len(_operations) >= MAX_OPERATION_LABELS:
            return "other"
        _operations.add(name)
    return name


_EXECUTED: ContextVar[str | None] = ContextVar("executed_operation", default=None)


def operation_executed(name: str | None) -> None:
    """Notes that the current request's document ran, as operation `name`: only such a
    request takes a label, so documents refused before they run cannot use up the set."""
    _EXECUTED.set(operation_label(name))


def executed_operation_label() -> str | None:
    """The label of the operation the current request ran, None when none ran."""
    return _EXECUTED.get()
