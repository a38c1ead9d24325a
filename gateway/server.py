"""The aiohttp application: GraphQL at /graphql, health, readiness and metrics."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp_cors
from aiohttp import web
from aiohttp.payload import Payload
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from gateway.cache import make_cache
from gateway.config import Settings
from gateway.metrics import HTTP_LATENCY, HTTP_REQUESTS, REGISTRY
from gateway.paging.cursor import CursorCodec
from gateway.providers import build_adapters, make_session
from gateway.schema.view import GatewayGraphQLView
from gateway.service import PagingRules, RecordService
from gateway.stats import StatsService

SERVICE = web.AppKey("service", RecordService)
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
        if isinstance(response, web.Response) and _body_size(response) >= _COMPRESS_FROM_BYTES:
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


async def create_app(settings: Settings) -> web.Application:
    """The gateway as an aiohttp application; one shared client session for all providers.

    Async because the client session must be born inside the running event loop."""
    app = web.Application(middlewares=[observe])
    session = make_session()
    cache = make_cache(settings.cache)
    service = RecordService(
        build_adapters(settings.providers, session, cache),
        CursorCodec(settings.security.cursor_secret),
        PagingRules(
            default_page_size=settings.server.default_page_size,
            max_page_size=settings.server.max_page_size,
            default_window_days=settings.server.default_window_days,
        ),
    )
    app[SERVICE] = service

    async def close_clients(app: web.Application) -> AsyncIterator[None]:
        yield
        try:
            await session.close()
        finally:
            await cache.close()

    app.cleanup_ctx.append(close_clients)
    stats = StatsService(service, max_calls=settings.limits.max_stats_calls)
    view = GatewayGraphQLView(service, stats, graphiql=settings.server.graphiql)
    graphql_routes = [
        app.router.add_route("POST", "/graphql", view),
        app.router.add_route("GET", "/graphql", view),
    ]
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)

    origins = settings.server.cors_origins
    if origins:
        cors = aiohttp_cors.setup(
            app,
            defaults={
                origin: aiohttp_cors.ResourceOptions(
                    allow_headers=("Content-Type", "Authorization"),
                    allow_methods=("GET", "POST"),
                    max_age=600,
                )
                for origin in origins
            },
        )
        for route in graphql_routes:
            cors.add(route)
    return app
