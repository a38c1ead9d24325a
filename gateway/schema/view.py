"""The aiohttp GraphQL view: builds each request's context and encodes exact decimals."""

from __future__ import annotations

import simplejson
from aiohttp import web
from cross_web import HTTPException
from strawberry.aiohttp.views import GraphQLView

from gateway.service import RecordService

from . import schema
from .context import GatewayContext, make_context, provider_types


class GatewayGraphQLView(GraphQLView[GatewayContext, None]):
    def __init__(self, service: RecordService, *, graphiql: bool) -> None:
        super().__init__(
            schema=schema,
            graphql_ide="graphiql" if graphiql else None,
            allow_queries_via_get=False,
        )
        self._service = service
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
        return make_context(self._service, self._providers)

    def encode_json(self, data: object) -> str:
        """Raw provider rows keep fractional JSON numbers as `Decimal`; they go out as JSON
        numbers with the same digits (the standard library's encoder would need a float)."""
        return simplejson.dumps(data, use_decimal=True)
