"""Operators' endpoints: liveness, readiness (every account answers) and Prometheus metrics."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from gateway.metrics import REGISTRY
from gateway.service import RecordService

SERVICE = web.AppKey("service", RecordService)


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Ready when every configured provider answers an authenticated call."""
    statuses = await request.app[SERVICE].readiness()
    ready = all(status.ok for status in statuses.values())
    body = {
        "status": "ok" if ready else "degraded",
        "providers": {
            name: {"ok": s.ok, "code": s.code, "message": s.message} for name, s in statuses.items()
        },
    }
    return web.json_response(body, status=200 if ready else 503)


async def metrics(request: web.Request) -> web.Response:
    response = web.Response(body=generate_latest(REGISTRY))
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return response
