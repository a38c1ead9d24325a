"""The GraphQL view over aiohttp: reads each body strictly, builds each request's context and
encodes each response with orjson, money exact.

Whatever a client sends that is not a GraphQL request (a body that is not UTF-8 JSON, a JSON
scalar, nesting too deep to decode, a compressed body that does not decompress, a body over
`[limits] max_body_bytes`) is answered with a GraphQL-shaped error, code `BAD_USER_INPUT`,
before anything runs."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import orjson
import structlog
from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError
from cross_web import AiohttpHTTPRequestAdapter, HTTPException
from strawberry.aiohttp.views import GraphQLView
from strawberry.http import GraphQLHTTPResponse

from gateway.auth import Authenticator, Caller
from gateway.errors import Unauthenticated
from gateway.metrics import GRAPHQL_ERRORS, GRAPHQL_REQUESTS
from gateway.schema import GatewaySchema
from gateway.schema.context import GatewayContext, make_context, provider_types
from gateway.service import RecordService
from gateway.stats import StatsService


def _refusal(message: str, status: int) -> web.Response:
    GRAPHQL_ERRORS.labels("BAD_USER_INPUT").inc()
    error = {"message": message, "extensions": {"code": "BAD_USER_INPUT"}}
    return web.json_response({"errors": [error]}, status=status)


class StrictBodyAdapter(AiohttpHTTPRequestAdapter):
    """Reads the body only as UTF-8 (aiohttp stops reading it past the application's
    `client_max_size`)."""

    async def get_body(self) -> bytes:
        charset = self.request.charset
        if charset is not None and charset.lower() not in {"utf-8", "utf8"}:
            raise HTTPException(415, f"The body must be UTF-8 JSON, not {charset[:40]!r}.")
        try:
            return await super().get_body()
        except RequestPayloadError:
            raise HTTPException(400, "The body could not be read or decompressed.") from None


CALLER = web.RequestKey("caller", Caller)
_NOBODY = Caller("unauthenticated", frozenset(), can_write=False)
"""The context of a request that runs no document (the GraphiQL page) reaches no account."""


class GatewayGraphQLView(GraphQLView[GatewayContext, None]):
    request_adapter_class = StrictBodyAdapter

    def __init__(
        self,
        service: RecordService,
        stats: StatsService,
        schema: GatewaySchema,
        authenticator: Authenticator,
        *,
        graphiql: bool,
    ) -> None:
        super().__init__(
            schema=schema,
            graphql_ide="graphiql" if graphiql else None,
            allow_queries_via_get=False,
        )
        self._service = service
        self._stats = stats
        self._providers = provider_types(service)
        self._authenticator = authenticator

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        """Who is asking is settled before the body is read; a request that is not GraphQL
        at all still gets a GraphQL-shaped, coded error."""
        if request.method == "POST" or "query" in request.query:
            try:
                caller = await self._authenticator.authenticate(
                    request.headers.get("Authorization")
                )
            except Unauthenticated as refusal:
                GRAPHQL_ERRORS.labels(refusal.extensions()["code"]).inc()
                error = {"message": refusal.message, "extensions": refusal.extensions()}
                response = web.json_response({"errors": [error]}, status=401)
                response.headers["WWW-Authenticate"] = "Bearer"
                return response
            request[CALLER] = caller
            structlog.contextvars.bind_contextvars(client=caller.name)
            GRAPHQL_REQUESTS.labels(caller.label).inc()
        try:
            return await self.run(request=request)
        except HTTPException as exc:
            return _refusal(exc.reason, exc.status_code)
        except web.HTTPRequestEntityTooLarge:
            return _refusal(f"The body is larger than {request.client_max_size} bytes.", 413)

    async def get_context(
        self, request: web.Request, response: web.Response | web.WebSocketResponse
    ) -> GatewayContext:
        return self.context_for(request.get(CALLER, _NOBODY))

    def context_for(self, caller: Caller) -> GatewayContext:
        """A request's context for `caller`, as the view builds it; benchmarks execute
        documents in-process with it."""
        return make_context(self._service, self._stats, self._providers, caller)

    def parse_json(self, data: str | bytes) -> Any:
        """A JSON object (or a list, refused as a batch later), decoded strictly."""
        try:
            text = data.decode("utf-8") if isinstance(data, bytes) else data
        except UnicodeDecodeError:
            raise HTTPException(400, "The body is not valid UTF-8.") from None
        try:
            value = json.loads(text)
        except RecursionError:
            raise HTTPException(400, "The body's JSON is nested too deeply.") from None
        except ValueError:
            raise HTTPException(400, "Unable to parse request body as JSON") from None
        if not isinstance(value, dict | list):
            raise HTTPException(
                400, "The body must be a JSON object: {query, variables, operationName}."
            )
        return value

    def encode_json(self, data: object) -> bytes:
        """Raw provider rows keep fractional JSON numbers as `Decimal`; they go out as JSON
        numbers with the same digits. orjson refuses integers beyond 64 bits, which a raw
        row may hold too: a document that has one is encoded again with those integers
        written out as they are."""
        try:
            return orjson.dumps(data, default=_exact_number)
        except orjson.JSONEncodeError:
            return orjson.dumps(_wide_integers_written(data), default=_exact_number)

    def create_response(
        self,
        response_data: GraphQLHTTPResponse | list[GraphQLHTTPResponse],
        sub_response: web.Response,
    ) -> web.Response:
        """The encoded bytes as the body, without a round trip through `str`."""
        sub_response.body = self.encode_json(response_data)
        sub_response.content_type = "application/json"
        sub_response.charset = "utf-8"
        return sub_response


def _exact_number(value: object) -> orjson.Fragment:
    """A `Decimal` as the JSON number it was read from, digit for digit."""
    if isinstance(value, Decimal):
        return orjson.Fragment(str(value))
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _wide_integers_written(value: object) -> object:
    """`value` with every integer orjson cannot hold made a fragment of its own digits."""
    if isinstance(value, dict):
        return {key: _wide_integers_written(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_wide_integers_written(item) for item in value]
    if isinstance(value, int) and not isinstance(value, bool) and not _INT64 <= value <= _UINT64:
        return orjson.Fragment(str(value))
    return value


_INT64, _UINT64 = -(2**63), 2**64 - 1
"""The integers orjson writes itself."""
