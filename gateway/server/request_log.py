"""One log line for every HTTP request, and the time of GraphQL requests by the operation they
ran.

The line is written as the response leaves: `method`, `path`, `status`, `duration_ms`; for a
GraphQL request also the `client` and the `operation` (bound to the request's context as
they become known: the operation once its document passed validation, else null), and the
`upstream_calls` made on its behalf with the `accounts` they asked. The `request_id` comes
from the context, like every line's."""

from __future__ import annotations

import time

import structlog
from aiohttp import web

from gateway.logs import get_logger
from gateway.metrics import GRAPHQL_LATENCY, executed_operation_label
from gateway.server.observe import Handler
from gateway.upstream_tally import start_tally

log = get_logger(__name__)


@web.middleware
async def request_log(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    calls = start_tally()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        seconds = time.perf_counter() - started
        context = structlog.contextvars.get_contextvars()
        log.info(
            "request",
            method=request.method,
            path=request.path,
            status=status,
            duration_ms=round(seconds * 1000, 1),
            client=context.get("client"),
            operation=context.get("operation"),
            upstream_calls=len(calls),
            accounts=sorted(set(calls)),
        )
        operation = executed_operation_label()
        if operation is not None:
            GRAPHQL_LATENCY.labels(operation).observe(seconds)
