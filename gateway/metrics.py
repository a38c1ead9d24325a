"""Prometheus metrics of the gateway process, served at `/metrics`."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

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
