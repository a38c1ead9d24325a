"""The GraphQL view over aiohttp: reads each body strictly, builds each request's context and
encodes each response with orjson, money exact.

Whatever a client sends that is not a GraphQL request (a body that is not UTF-8 JSON, a JSON
scalar, nesting too deep to decode, a compressed body that does not decompress, a body over
`[limits] max_body_bytes`, a URL whose query string is longer) is answered with a
GraphQL-shaped error, code `BAD_USER_INPUT`, before anything runs.

Queries also come as `GET /graphql?query=…&variables=…&operationName=…`, checked exactly as
a POST is; a mutation over GET is refused with 405. A request may name its document by an
automatic persisted query's hash instead of sending it (`persisted_queries`)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import orjson
import structlog
from aiohttp import web
from aiohttp.web_protocol import RequestPayloadError
from cross_web import AiohttpHTTPRequestAdapter, AsyncHTTPRequestAdapter, HTTPException
from strawberry.aiohttp.views import GraphQLView
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.base import BaseRequestProtocol
from strawberry.http.types import QueryParams
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.types import ExecutionResult

from gateway.auth import Authenticator, Caller
from gateway.errors import BadUserInput, PersistedQueryNotFound, Unauthenticated
from gateway.metrics import GRAPHQL_ERRORS, GRAPHQL_REQUESTS
from gateway.persisted_queries import PersistedQueries
from gateway.schema import GatewaySchema
from gateway.schema.context import GatewayContext, make_context, provider_types
from gateway.server.graphiql import page_response
from gateway.server.graphql_http import (
    NOT_STORED,
    VARY,
    get_cache_control,
    response_media_type,
    response_status,
)
from gateway.service import RecordService
from gateway.stats import StatsService
from gateway.tracing import Tracing


def _errors_response(
    request: web.Request, errors: list[dict[str, Any]], status: int
) -> web.Response:
    """A GraphQL response of errors only, in the media type the client accepts; no cache
    keeps it."""
    for error in errors:
        GRAPHQL_ERRORS.labels(error["extensions"]["code"]).inc()
    response = web.Response(
        body=orjson.dumps({"errors": errors}),
        status=status,
        content_type=response_media_type(request.headers.get("Accept")),
        charset="utf-8",
    )
    response.headers["Cache-Control"] = NOT_STORED
    return response


def _refusal(request: web.Request, message: str, status: int) -> web.Response:
    return _errors_response(
        request, [{"message": message, "extensions": {"code": "BAD_USER_INPUT"}}], status
    )


class MutationOverGet(Exception):
    """A GET that asks for a mutation: GET must stay safe to repeat and to cache."""


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
        persisted: PersistedQueries,
        *,
        graphiql: bool,
        tracing: Tracing,
        get_max_age_seconds: float,
    ) -> None:
        super().__init__(
            schema=schema,
            graphql_ide="graphiql" if graphiql else None,
            allow_queries_via_get=True,
        )
        self._service = service
        self._stats = stats
        self._providers = provider_types(service)
        self._authenticator = authenticator
        self._persisted = persisted
        self._tracing = tracing
        self._get_cache_control = get_cache_control(
            shared=authenticator.is_open, max_age_seconds=get_max_age_seconds
        )

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        """Who is asking is settled before the body is read; a request that is not GraphQL
        at all still gets a GraphQL-shaped, coded error. An operation is traced from then on."""
        if _carries_a_request(request):
            try:
                caller = request[CALLER] = await self._authenticator.authenticate(
                    request.headers.get("Authorization")
                )
            except Unauthenticated as refusal:
                error = {"message": refusal.message, "extensions": refusal.extensions()}
                response = _errors_response(request, [error], 401)
                response.headers["WWW-Authenticate"] = "Bearer"
                return response
            structlog.contextvars.bind_contextvars(client=caller.name)
            GRAPHQL_REQUESTS.labels(caller.label).inc()
            with self._tracing.operation(request.headers, client=caller.name):
                return await self._answer(request)
        return await self._answer(request)

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        if len(request.rel_url.raw_query_string) > request.client_max_size:
            message = f"The URL's query string is longer than {request.client_max_size} bytes."
            return _refusal(request, message, 414)
        try:
            return await self.run(request=request)
        except PersistedQueryNotFound as missing:
            # HTTP 200: Apollo's clients read the code from the body and send the document.
            error = {"message": missing.message, "extensions": missing.extensions()}
            return _errors_response(request, [error], 200)
        except BadUserInput as refusal:
            # A malformed persisted query; whatever else escapes is masked by the server.
            error = {"message": refusal.message, "extensions": refusal.extensions()}
            return _errors_response(request, [error], 400)
        except MutationOverGet:
            message = "Mutations are only accepted over POST."
            response = _refusal(request, message, 405)
            response.headers["Allow"] = "POST"
            return response
        except HTTPException as exc:
            return _refusal(request, exc.reason, exc.status_code)
        except web.HTTPRequestEntityTooLarge:
            message = f"The body is larger than {request.client_max_size} bytes."
            return _refusal(request, message, 413)

    def should_render_graphql_ide(self, request: BaseRequestProtocol) -> bool:
        """A GET that names a persisted query is a request, whatever it accepts."""
        return "extensions" not in request.query_params and super().should_render_graphql_ide(
            request
        )

    def parse_query_params(self, params: QueryParams) -> dict[str, Any]:
        """A GET's `variables` and `extensions` are JSON objects in the URL."""
        try:
            return super().parse_query_params(params)
        except HTTPException:
            raise HTTPException(
                400, "The URL's `variables` and `extensions` must be JSON objects."
            ) from None

    async def execute_single(
        self,
        request: web.Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: web.Response,
        context: GatewayContext,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """Runs the document the request sends or names by its persisted-query hash; one
        sent with its hash is kept only once it ran."""
        sent = request_data.query
        request_data.query = await self._persisted.document(sent, request_data.extensions)
        try:
            result = await super().execute_single(
                request, request_adapter, sub_response, context, root_value, request_data
            )
        except HTTPException as refusal:
            if isinstance(refusal.__cause__, InvalidOperationTypeError):
                raise MutationOverGet from None
            raise
        if sent is not None and _executed(result):
            await self._persisted.register(sent, request_data.extensions)
        return result

    async def process_result(
        self, request: web.Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        """A document that never ran gets no `data` entry; one that ran keeps its `data`,
        null when execution nulled the root."""
        response = await super().process_result(request, result)
        if not _executed(result):
            response.pop("data", None)
        return response

    async def get_sub_response(self, request: web.Request) -> web.Response:
        """The response's head, settled by the request: its media type, and for a GET how
        long it may be kept (`create_response` withdraws that for an answer with errors)."""
        response = web.Response(content_type=response_media_type(request.headers.get("Accept")))
        if request.method == "GET":
            response.headers["Cache-Control"] = self._get_cache_control
            response.headers["Vary"] = VARY
        return response

    async def render_graphql_ide(self, request: web.Request) -> web.Response:
        """The gateway's own GraphiQL page, whose scripts and styles it serves itself."""
        return page_response()

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
        """The encoded bytes as the body, without a round trip through `str`; the status
        the negotiated media type gives it."""
        sub_response.body = self.encode_json(response_data)
        sub_response.charset = "utf-8"
        if isinstance(response_data, dict):
            sub_response.set_status(response_status(sub_response.content_type, response_data))
            if "errors" in response_data and "Cache-Control" in sub_response.headers:
                sub_response.headers["Cache-Control"] = NOT_STORED
        return sub_response


def _carries_a_request(request: web.Request) -> bool:
    """A POST, or a GET with a document or a persisted query's hash (not the GraphiQL page)."""
    return request.method != "GET" or "query" in request.query or "extensions" in request.query


def _executed(result: ExecutionResult) -> bool:
    """Whether the document ran: it has data, or an error raised in a field (which carries
    a `path`). One that did not parse, validate, fit the limits or bind its variables did
    not: its response has no `data` entry, as the GraphQL specification asks, and it is not
    kept as a persisted query."""
    return result.data is not None or any(error.path for error in result.errors or ())


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
