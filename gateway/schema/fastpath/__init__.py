"""A compiled path for the queries clients send most: `smsRecords` pages.

Ordinary Strawberry execution resolves each field of each record one by one; for a page of
50 records that costs more CPU than the rest of the request. A validated document whose
operation only reads `smsRecords` (any selection of its connection, with fragments,
aliases and `@skip`/`@include`) and `__typename` is compiled once into a plan, and each
request runs the plan: the same argument coercion, the same service call, the same
serializers, the response built in one pass. Anything else, and every error, goes to
ordinary execution, so the response is always the one ordinary execution gives.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import SchemaExtension

from ..context import GatewayContext
from .serve import Plans


class FastPath(SchemaExtension):
    """Runs after parsing, validation and the cost limit; when the plan serves the
    document, Strawberry finds the result set and skips its own execution."""

    def __init__(self, plans: Plans) -> None:
        self.plans = plans

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        gateway = context.context
        if (
            isinstance(gateway, GatewayContext)
            and context.graphql_document is not None
            and not context.result
        ):
            data = await self.plans.serve(
                context.schema,
                context.graphql_document,
                context.operation_name,
                context.variables,
                gateway,
            )
            if data is not None:
                context.result = GraphQLExecutionResult(data=data)
        yield


__all__ = ["FastPath", "Plans"]
