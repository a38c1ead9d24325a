"""The GraphQL schema; the only package that imports Strawberry."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graphql import GraphQLError
from strawberry import Schema
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from .errors import code_errors
from .fastpath import FastPath, Plans
from .limits import DocumentLimits, limit_extensions
from .mutation import Mutation
from .operation_name import OperationName
from .query import Query
from .scalars import SCALAR_MAP
from .types import SmsRecord


class GatewaySchema(Schema):
    """Errors are logged where they are understood (`code_errors`), not once per field."""

    def process_errors(self, errors: list[GraphQLError], execution_context: object = None) -> None:
        return None

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        """Codes the errors of every result, including those that end a document before it
        runs (a syntax error, a limit), which no extension sees."""
        result = await super().execute(
            query,
            variable_values,
            context_value,
            root_value,
            operation_name,
            allowed_operation_types,
            operation_extensions,
        )
        return code_errors(result, context_value)


def build_schema(limits: DocumentLimits | None = None, *, fast_path: bool = True) -> GatewaySchema:
    """The schema with the document limits of one configuration; `fast_path=False` leaves
    every document to ordinary execution (to compare against it)."""
    extensions = [*limit_extensions(limits or DocumentLimits()), OperationName]
    if fast_path:
        plans = Plans()
        extensions.append(lambda: FastPath(plans))
    return GatewaySchema(
        query=Query,
        mutation=Mutation,
        types=[SmsRecord],
        extensions=extensions,
        config=StrawberryConfig(scalar_map=SCALAR_MAP),
    )


def export_sdl() -> str:
    """The schema in SDL, as committed in `schema.graphql`."""
    return build_schema().as_str() + "\n"
