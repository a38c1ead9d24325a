"""Operators' endpoints: liveness, readiness (every account answers) and Prometheus metrics."""

from __future__ import annotations

import os

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from gateway.metrics import REGISTRY
from gateway.service import RecordService

SERVICE = web.AppKey("service", RecordService)
OPEN = web.AppKey("open", bool)
"""Whether the gateway takes requests from anyone; if not, readiness names no account."""
WORKER = web.AppKey("worker", int)
"""The number of this worker process, when the server runs several."""


async def healthz(request: web.Request) -> web.Response:
    """Up; with the process id (and worker number) that answered, for finding it in `ps`
    or attaching a profiler to it."""
    body: dict[str, object] = {"status": "ok", "pid": os.getpid()}
    if WORKER in request.app:
        body["worker"] = request.app[WORKER]
    return web.json_response(body)


async def readyz(request: web.Request) -> web.Response:
    """Ready when every configured provider answers an authenticated call. The endpoint is
    open, so a gateway with clients says how many accounts fail, not which."""
    statuses = await request.app[SERVICE].readiness()
    ready = all(status.ok for status in statuses.values())
    body: dict[str, object] = {"status": "ok" if ready else "degraded"}
    if request.app[OPEN]:
        body["providers"] = {
            name: {"ok": s.ok, "code": s.code, "message": s.message} for name, s in statuses.items()
        }
    else:
        body["accounts"] = len(statuses)
        body["failing"] = sum(not status.ok for status in statuses.values())
    return web.json_response(body, status=200 if ready else 503)


async def metrics(request: web.Request) -> web.Response:
    response = web.Response(body=generate_latest(REGISTRY))
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return response
