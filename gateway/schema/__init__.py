"""The GraphQL schema; the only package that imports Strawberry."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graphql import GraphQLError
from strawberry import Info, Schema
from strawberry.federation import Schema as FederationSchema
from strawberry.federation.schema import FederationAny
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from .errors import code_errors
from .fastpath import FastPath, Plans
from .federation import FEDERATION_VERSION, entity_definitions, resolve_entities
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


class GatewaySubgraph(GatewaySchema, FederationSchema):
    """The same schema as an Apollo Federation 2 subgraph: `SmsRecord` and `Provider` are
    entities (keyed while `build_schema` builds it), and `_service` and `_entities` are added
    to `Query`."""

    def __init__(self, **options: Any) -> None:
        super().__init__(federation_version=FEDERATION_VERSION, **options)

    def entities_resolver(
        self, info: Info, representations: list[FederationAny]
    ) -> list[FederationAny]:
        """Every representation checked, each failing alone with a coded error. The items
        are awaitables, which graphql-core awaits as list items (as it does those of
        Strawberry's own resolver when a `resolve_reference` is async)."""
        return resolve_entities(info, representations)  # type: ignore[return-value]


def build_schema(
    limits: DocumentLimits | None = None, *, fast_path: bool = True, federation: bool = False
) -> GatewaySchema:
    """The schema with the document limits of one configuration, as a Federation subgraph
    when `federation`; `fast_path=False` leaves every document to ordinary execution (to
    compare against it)."""
    extensions = [OperationName, *limit_extensions(limits or DocumentLimits())]
    if fast_path:
        plans = Plans()
        extensions.append(lambda: FastPath(plans))
    schema = GatewaySubgraph if federation else GatewaySchema
    with entity_definitions(keyed=federation):
        return schema(
            query=Query,
            mutation=Mutation,
            types=[SmsRecord],
            extensions=extensions,
            config=StrawberryConfig(scalar_map=SCALAR_MAP),
        )


def export_sdl(*, federation: bool = False) -> str:
    """The schema in SDL, as committed in `schema.graphql`; with `federation`, the
    subgraph's, as `_service { sdl }` answers it (`schema.federation.graphql`)."""
    return build_schema(federation=federation).as_str() + "\n"
