"""The application factory: GraphQL at /graphql, health, readiness and metrics."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import aiohttp_cors
from aiohttp import web

from gateway.auth import Authenticator
from gateway.cache import make_cache
from gateway.config import Settings
from gateway.paging.cursor import CursorCodec
from gateway.persisted_queries import PersistedQueries
from gateway.providers import build_adapters, close_session, make_session
from gateway.schema import build_schema
from gateway.schema.limits import DocumentLimits
from gateway.server.graphiql import add_asset_routes
from gateway.server.graphql_view import GatewayGraphQLView
from gateway.server.health import OPEN, SERVICE, WORKER, healthz, metrics, readyz
from gateway.server.observe import observe
from gateway.server.request_id import HEADER, request_id
from gateway.server.request_log import request_log
from gateway.server.unreadable import log_client_mistakes_as_warnings
from gateway.service import PagingRules, RecordService
from gateway.stats import StatsService
from gateway.tracing import Tracing, start_tracing

log = logging.getLogger(__name__)

WORKER_HEADER = "X-Gateway-Worker"
TRACING = web.AppKey("tracing", Tracing)

_REQUEST_LINE_SLACK = 1024
"""Room for the method, the path and the protocol around a request line's query string."""


def announce_access(app: web.Application) -> None:
    """Once listening: a gateway without clients says, in one line, that it is open."""
    if app[OPEN]:
        log.warning(
            "no [[clients]] and no [auth.jwt] configured: anyone who reaches this gateway "
            "reads and writes every account"
        )


async def create_app(settings: Settings, *, worker: int | None = None) -> web.Application:
    """The gateway as an aiohttp application; one shared client session for all providers.
    `worker` numbers this process among several serving one port: every response then
    names it in `X-Gateway-Worker`.

    Async because the client session must be born inside the running event loop."""
    limits = settings.limits
    app = web.Application(
        middlewares=[request_id, request_log, observe],
        client_max_size=limits.max_body_bytes,
        # A GET's query string may be as long as a POST's body; the view refuses a longer
        # one with a GraphQL error, so the request line must be read up to a little past it.
        # A longer line is answered by aiohttp itself (`unreadable`).
        handler_args={"max_line_size": limits.max_body_bytes + _REQUEST_LINE_SLACK},
    )
    log_client_mistakes_as_warnings()
    if worker is not None:
        app[WORKER] = worker
        app.on_response_prepare.append(_name_worker)
    authenticator = Authenticator.from_settings(settings)
    session = make_session()
    cache = make_cache(settings.cache)
    persisted = PersistedQueries.from_settings(settings.cache)
    service = RecordService(
        build_adapters(settings.providers, session, cache),
        CursorCodec(settings.security.cursor_secret),
        PagingRules(
            default_page_size=settings.server.default_page_size,
            max_page_size=settings.server.max_page_size,
            default_window_days=settings.server.default_window_days,
            window_end_step_seconds=settings.cache.window_end_step_seconds,
        ),
        deadline_seconds=settings.server.request_deadline_seconds,
    )
    app[SERVICE] = service
    app[OPEN] = authenticator.is_open

    async def start_authenticator(app: web.Application) -> None:
        await authenticator.start()

    app.on_startup.append(start_authenticator)

    async def close_clients(app: web.Application) -> AsyncIterator[None]:
        yield
        try:
            await close_session(session)
        finally:
            await cache.close()
            await persisted.close()

    app.cleanup_ctx.append(close_clients)
    telemetry = settings.telemetry
    endpoint = telemetry.otlp_endpoint
    tracing = app[TRACING] = start_tracing(
        None if endpoint is None else str(endpoint), telemetry.service_name
    )

    async def close_tracing(app: web.Application) -> None:
        await tracing.close()

    app.on_cleanup.append(close_tracing)
    schema = build_schema(
        DocumentLimits(
            max_depth=limits.max_depth,
            max_aliases=limits.max_aliases,
            max_tokens=limits.max_tokens,
            max_cost=limits.max_cost,
            introspection=settings.server.introspection,
        ),
        federation=settings.server.federation,
    )
    stats = StatsService(service, max_calls=limits.max_stats_calls)
    view = GatewayGraphQLView(
        service,
        stats,
        schema,
        authenticator,
        persisted,
        graphiql=settings.server.graphiql,
        get_max_age_seconds=settings.cache.ttl_seconds,
        tracing=tracing,
    )
    graphql_routes = [
        app.router.add_route("POST", "/graphql", view),
        app.router.add_route("GET", "/graphql", view),
    ]
    if settings.server.graphiql:
        add_asset_routes(app)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)

    origins = settings.server.cors_origins
    if origins:
        cors = aiohttp_cors.setup(
            app,
            defaults={
                origin: aiohttp_cors.ResourceOptions(  # type: ignore[no-untyped-call]
                    allow_headers=("Content-Type", "Authorization", HEADER),
                    expose_headers=(HEADER,),
                    allow_methods=("GET", "POST"),
                    max_age=600,
                )
                for origin in origins
            },
        )
        for route in graphql_routes:
            cors.add(route)
    return app


async def _name_worker(request: web.Request, response: web.StreamResponse) -> None:
    response.headers[WORKER_HEADER] = str(request.app[WORKER])
