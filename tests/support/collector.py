"""An OpenTelemetry collector on loopback: it takes OTLP/HTTP trace exports and keeps them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

from .serving import serving


@dataclass
class Collector:
    """Its base URL (what `otlp_endpoint` names) and the exports it has received."""

    url: str = ""
    exports: list[ExportTraceServiceRequest] = field(default_factory=list)

    def resources(self) -> list[dict[str, str]]:
        """The resource attributes of every batch of spans, as strings."""
        return [
            {kv.key: kv.value.string_value for kv in batch.resource.attributes}
            for export in self.exports
            for batch in export.resource_spans
        ]

    def span_names(self) -> list[str]:
        return [
            span.name
            for export in self.exports
            for batch in export.resource_spans
            for scope in batch.scope_spans
            for span in scope.spans
        ]


@asynccontextmanager
async def collecting() -> AsyncIterator[Collector]:
    """A collector serving `POST /v1/traces`, as one listening on port 4318 does."""
    collector = Collector()

    async def traces(request: web.Request) -> web.Response:
        export = ExportTraceServiceRequest()
        export.ParseFromString(await request.read())
        collector.exports.append(export)
        reply = ExportTraceServiceResponse().SerializeToString()
        return web.Response(body=reply, content_type="application/x-protobuf")

    app = web.Application()
    app.router.add_post("/v1/traces", traces)
    async with serving(app) as url:
        collector.url = url
        yield collector
