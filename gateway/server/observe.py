"""Counts and times every request, and compresses large replies for clients that accept it."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.payload import Payload

from gateway.metrics import HTTP_LATENCY, HTTP_REQUESTS

_COMPRESS_FROM_BYTES = 1024

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def observe(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Counts and times requests; compresses large bodies when the client accepts it."""
    started = time.perf_counter()
    path = request.match_info.route.resource.canonical if request.match_info.route.resource else "?"
    status = 500
    try:
        response = await handler(request)
        status = response.status
        if (
            isinstance(response, web.Response)
            and "Content-Encoding" not in response.headers
            and _body_size(response) >= _COMPRESS_FROM_BYTES
        ):
            response.enable_compression()
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        HTTP_REQUESTS.labels(path, str(status)).inc()
        HTTP_LATENCY.labels(path).observe(time.perf_counter() - started)


def _body_size(response: web.Response) -> int:
    body = response.body
    if isinstance(body, bytes | bytearray):
        return len(body)
    if isinstance(body, Payload):
        return body.size or 0
    return 0
