"""Operators' endpoints: liveness, readiness (every account answers) and Prometheus metrics."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from gateway.metrics import REGISTRY
from gateway.service import RecordService

SERVICE = web.AppKey("service", RecordService)
OPEN = web.AppKey("open", bool)
"""Whether the gateway takes requests from anyone; if not, readiness names no account."""


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


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
