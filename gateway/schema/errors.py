"""Gives every GraphQL error an `extensions.code`, masks the unexpected ones, and adds the
errors of providers that failed while the others answered."""

from __future__ import annotations

import logging

from graphql.error import GraphQLError
from strawberry.types import ExecutionResult

from gateway.errors import GatewayError
from gateway.metrics import GRAPHQL_ERRORS
from gateway.request_ids import current_request_id

from .context import GatewayContext

log = logging.getLogger(__name__)

INTERNAL_MESSAGE = "Internal server error."


def _coded(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    extensions: dict[str, object]
    if isinstance(original, GatewayError):
        message, extensions = original.message, dict(original.extensions())
    elif original is None:
        message = error.message
        extensions = {"code": "BAD_USER_INPUT", **(error.extensions or {})}
    elif isinstance(original, GraphQLError) or (
        isinstance(original, ValueError | TypeError) and error.path is None
    ):
        message, extensions = error.message, {"code": "BAD_USER_INPUT"}
    else:
        log.error("unexpected error", exc_info=original)
        message = INTERNAL_MESSAGE
        extensions = {"code": "INTERNAL_SERVER_ERROR", "requestId": current_request_id()}
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=extensions,
    )


def code_errors(result: ExecutionResult, context: object) -> ExecutionResult:
    """The result as it goes out: every error coded, unexpected ones masked, and the errors
    of providers that failed while the others answered added behind the rest."""
    errors = [_coded(error) for error in result.errors or []]
    if isinstance(context, GatewayContext):
        errors.extend(
            GraphQLError(p.error.message, path=list(p.path), extensions=p.error.extensions())
            for p in context.partial_errors
        )
    for error in errors:
        GRAPHQL_ERRORS.labels(str((error.extensions or {}).get("code"))).inc()
    result.errors = errors or None
    return result
