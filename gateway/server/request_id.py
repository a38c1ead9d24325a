"""Every response carries an `X-Request-Id`: the client's own when well formed, else a new one.

It is also the last line of defence: a failure nothing else handled is logged with that id
and answered with a masked, coded error that quotes it, so an operator can find the log."""

from __future__ import annotations

import logging

from aiohttp import web

from gateway.metrics import GRAPHQL_ERRORS
from gateway.request_ids import adopt_request_id
from gateway.server.observe import Handler

HEADER = "X-Request-Id"

log = logging.getLogger(__name__)


@web.middleware
async def request_id(request: web.Request, handler: Handler) -> web.StreamResponse:
    given = adopt_request_id(request.headers.get(HEADER))
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        exc.headers[HEADER] = given
        raise
    except Exception:
        log.exception("unhandled error serving %s %s", request.method, request.path)
        GRAPHQL_ERRORS.labels("INTERNAL_SERVER_ERROR").inc()
        error = {
            "message": "Internal server error.",
            "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": given},
        }
        response = web.json_response({"errors": [error]}, status=500)
    response.headers[HEADER] = given
    return response
