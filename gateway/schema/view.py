"""The aiohttp GraphQL view: builds each request's context and encodes exact decimals."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from aiohttp import web
from cross_web import HTTPException
from strawberry.aiohttp.views import GraphQLView

from gateway.service import RecordService
from gateway.stats import StatsService

from . import schema
from .context import GatewayContext, make_context, provider_types


def _json_default(value: Any) -> Any:
    """Raw provider rows keep fractional JSON numbers as Decimal; they go out as numbers again."""
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class GatewayGraphQLView(GraphQLView[GatewayContext, None]):
    def __init__(self, service: RecordService, stats: StatsService, *, graphiql: bool) -> None:
        super().__init__(
            schema=schema,
            graphql_ide="graphiql" if graphiql else None,
            allow_queries_via_get=False,
        )
        self._service = service
        self._stats = stats
        self._providers = provider_types(service)

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        """A request that is not GraphQL at all still gets a GraphQL-shaped, coded error."""
        try:
            return await self.run(request=request)
        except HTTPException as exc:
            error = {"message": exc.reason, "extensions": {"code": "BAD_USER_INPUT"}}
            return web.json_response({"errors": [error]}, status=exc.status_code)

    async def get_context(
        self, request: web.Request, response: web.Response | web.WebSocketResponse
    ) -> GatewayContext:
        return make_context(self._service, self._stats, self._providers)

    def encode_json(self, data: object) -> str:
        return json.dumps(data, default=_json_default)
