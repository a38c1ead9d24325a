"""Traces over OpenTelemetry: a span per GraphQL operation, a child span per upstream attempt.

Optional twice over: the `otel` extra installs the SDK, and `[telemetry] otlp_endpoint`
turns traces on. This is the one module that imports OpenTelemetry; without the extra or
without the key every hook here is a no-op that costs a context-variable read.

Each application has a tracer provider of its own rather than the process-wide one, so a
gateway configured without traces makes no span whatever else in the process set up. The
operation span makes its tracer current in a context variable; every task a request starts
(the fan-out over accounts, each upstream request) inherits it along with the span, so each
upstream span lands under the operation that asked for it.

The SDK reads the standard `OTEL_*` environment variables itself (sampler, propagators,
resource attributes, exporter headers and timeouts, batching, `OTEL_SDK_DISABLED`); the
service name and collector they give win over the config's keys.

Attributes hold names, kinds, numbers and the failures' messages, which are written to be
shown to clients: never a URL, a body, a token or a credential.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from gateway.request_ids import current_request_id

try:
    from opentelemetry import propagate
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.environment_variables import (
        OTEL_EXPORTER_OTLP_ENDPOINT,
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
    )
    from opentelemetry.sdk.resources import SERVICE_NAME, OTELResourceDetector, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer
except ImportError:
    INSTALLED = False
else:
    INSTALLED = True

MISSING_EXTRA = "traces need the otel extra: pip install 'sms-gateway[otel]'"

UNNAMED_OPERATION = "GraphQL Operation"
"""The operation span's name until its document is known (and for one that never is)."""

_PREFIX = "sms_gateway."


@dataclass(frozen=True, slots=True)
class _Traced:
    tracer: Tracer
    operation: Span


_CURRENT: ContextVar[_Traced | None] = ContextVar("traced_operation", default=None)


class Tracing:
    """An application's traces: its tracer provider, or none when traces are off."""

    def __init__(self, provider: TracerProvider | None = None) -> None:
        self.provider = provider
        self._tracer = provider.get_tracer("sms-gateway") if provider is not None else None

    @contextmanager
    def operation(self, headers: Mapping[str, str], *, client: str) -> Iterator[None]:
        """The span of the GraphQL operation a request carries, in the trace its
        `traceparent` names (a new trace without one); `name_operation` names it."""
        if self._tracer is None:
            yield
            return
        with self._tracer.start_as_current_span(
            UNNAMED_OPERATION,
            context=propagate.extract(headers),
            kind=SpanKind.SERVER,
            attributes={
                _PREFIX + "request_id": current_request_id() or "",
                _PREFIX + "client": client,
            },
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            token = _CURRENT.set(_Traced(self._tracer, span))
            try:
                yield
            except Exception as failure:
                span.set_status(Status(StatusCode.ERROR, type(failure).__name__))
                raise
            finally:
                _CURRENT.reset(token)

    async def close(self) -> None:
        """Sends the spans still batched and stops the exporter, off the event loop since
        the export blocks."""
        if self.provider is not None:
            await asyncio.to_thread(self.provider.shutdown)


def start_tracing(otlp_endpoint: str | None, service_name: str) -> Tracing:
    """Traces to the collector at `otlp_endpoint` (its base URL), or none without one.
    The config refuses the key when the extra is missing, so the SDK is there."""
    if otlp_endpoint is None:
        return Tracing()
    resource = Resource.create({SERVICE_NAME: service_name}).merge(OTELResourceDetector().detect())
    exporter = OTLPSpanExporter(endpoint=_traces_url(otlp_endpoint))
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return Tracing(provider)


def _traces_url(base: str) -> str | None:
    """The config's collector, unless the environment names one: the exporter reads it
    then."""
    if os.environ.get(OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) or os.environ.get(
        OTEL_EXPORTER_OTLP_ENDPOINT
    ):
        return None
    return f"{base.rstrip('/')}/v1/traces"


def name_operation(operation_type: str, operation_name: str | None) -> None:
    """Names the current operation span once its document is known, as the GraphQL
    semantic conventions do: `query SmsPage`, or the type alone for an anonymous one."""
    traced = _CURRENT.get()
    if traced is None:
        return
    span = traced.operation
    span.set_attribute("graphql.operation.type", operation_type)
    if operation_name:
        span.set_attribute("graphql.operation.name", operation_name)
        span.update_name(f"{operation_type} {operation_name}")
    else:
        span.update_name(operation_type)


class Attempt:
    """What an upstream attempt's span learns once the provider answers."""

    def __init__(self, span: Span | None) -> None:
        self._span = span

    def answered(self, status: int) -> None:
        """A reply for the adapter to read (2xx-4xx): its status is the outcome."""
        if self._span is not None:
            self._span.set_attributes(
                {"http.response.status_code": status, _PREFIX + "outcome": str(status)}
            )


_UNTRACED = Attempt(None)


@contextmanager
def upstream_attempt(
    *, account: str, kind: str, call: str, method: str, attempt: int
) -> Iterator[Attempt]:
    """A child span of the current operation for one attempt of an upstream call (`call`:
    list, get, update, check). A failure's outcome is its own `outcome` when it has one
    (timeout, unreachable, 503…), `cancelled` when its caller went away, else `error`."""
    traced = _CURRENT.get()
    if traced is None:
        yield _UNTRACED
        return
    with traced.tracer.start_as_current_span(
        f"{kind} {call}",
        kind=SpanKind.CLIENT,
        attributes={
            _PREFIX + "account": account,
            _PREFIX + "provider_kind": kind,
            _PREFIX + "call": call,
            _PREFIX + "attempt": attempt,
            "http.request.method": method,
        },
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        try:
            yield Attempt(span)
        except asyncio.CancelledError:
            span.set_attribute(_PREFIX + "outcome", "cancelled")
            raise
        except Exception as failure:
            outcome = str(getattr(failure, "outcome", "error"))
            span.set_attributes({_PREFIX + "outcome": outcome, "error.type": outcome})
            span.set_status(Status(StatusCode.ERROR, str(failure)))
            raise
