"""Serves a planned query: the same arguments, the same service call, the same response.

Ordinary execution of a 50-record page resolves every field of every record through
Strawberry and graphql-core, which costs more than everything else the gateway does for
the page. Here the arguments are coerced by graphql-core and converted by Strawberry, the
page is read by the resolver's own function, and the plan writes the response in one pass.
Whenever ordinary execution would report an error (an argument, a cursor, a value that
cannot be written, anything unforeseen), nothing is served here and ordinary execution runs
the document, so every error is its own. The service refuses arguments and cursors before
it asks any provider, so a document run again after such an error asks nothing twice.
"""

from __future__ import annotations

import asyncio
from typing import Any

from cachetools import LRUCache
from graphql import (
    DocumentNode,
    GraphQLSchema,
    OperationDefinitionNode,
    get_operation_ast,
)
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values
from strawberry import Schema
from strawberry.types.arguments import convert_arguments
from strawberry.types.base import get_object_definition

from gateway.metrics import DOCUMENTS_PREPARED

from ..context import GatewayContext
from ..limits import DOCUMENT_CACHE_SIZE
from ..query import PageArguments, Query, read_page
from .plan import Compiler, ConnectionPlan, Env, OperationPlan, Unplannable
from .variables import directive_variables

PLAN_CACHE_SIZE = DOCUMENT_CACHE_SIZE
"""Documents whose plans are kept, as many as validations."""

PLANS_PER_DOCUMENT = 16
"""Plans kept per document: one per operation and set of `@skip`/`@include` values."""

_UNPLANNABLE = OperationPlan(())
"""Marks an operation ordinary execution serves."""


class Plans:
    """Compiled plans by document and operation, bounded; one per schema."""

    def __init__(self) -> None:
        self._documents: LRUCache[
            int, tuple[DocumentNode, frozenset[str], dict[tuple[Any, ...], OperationPlan]]
        ] = LRUCache(PLAN_CACHE_SIZE)
        self._compiler: Compiler | None = None

    def plan(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: VariableValues,
    ) -> OperationPlan | None:
        """The operation's plan for these variables, or None when ordinary execution
        serves it. Only variables that `@skip`/`@include` read tell plans apart."""
        entry = self._documents.get(id(document))
        if entry is None or entry[0] is not document:
            entry = (document, directive_variables(document), {})
            self._documents[id(document)] = entry
        _, switches, plans = entry
        key = (id(operation), *((name, variables.coerced.get(name)) for name in sorted(switches)))
        found = plans.get(key)
        if found is None:
            if self._compiler is None:
                self._compiler = Compiler(schema)
            try:
                found = self._compiler.compile(document, operation, variables)
            except Unplannable:
                found = _UNPLANNABLE
            DOCUMENTS_PREPARED.labels(stage="plan").inc()
            if len(plans) < PLANS_PER_DOCUMENT:
                plans[key] = found
        return None if found is _UNPLANNABLE else found

    async def serve(
        self,
        schema: Schema,
        document: DocumentNode,
        operation_name: str | None,
        raw_variables: dict[str, Any] | None,
        context: GatewayContext,
    ) -> dict[str, Any] | None:
        """The response data of the operation, or None for ordinary execution to run it."""
        graphql_schema = schema._schema
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            return None
        variables = get_variable_values(
            graphql_schema, operation.variable_definitions or (), raw_variables or {}
        )
        if not isinstance(variables, VariableValues):
            return None
        plan = self.plan(graphql_schema, document, operation, variables)
        if plan is None:
            return None
        connections = [conn for _, conn in plan.roots if conn is not None]
        reported = len(context.partial_errors)
        try:
            arguments = [_arguments(schema, conn, variables) for conn in connections]
            # Every page runs to its end before any failure is acted on, so that none adds
            # partial errors after those of this attempt are taken back.
            outcomes = await asyncio.gather(
                *(
                    read_page(context, (conn.key,), args, conn.attributes)
                    for conn, args in zip(connections, arguments, strict=True)
                ),
                return_exceptions=True,
            )
            pages = []
            for outcome in outcomes:
                if isinstance(outcome, BaseException):
                    raise outcome
                pages.append(outcome)
            env = Env(context.providers)
            written = iter(
                [conn.page.write(page, env) for conn, page in zip(connections, pages, strict=True)]
            )
            return {key: "Query" if conn is None else next(written) for key, conn in plan.roots}
        except Exception:
            # An argument, a cursor, a value a serializer refuses, anything unforeseen:
            # ordinary execution reports it, as it would have.
            del context.partial_errors[reported:]
            return None


_SMS_RECORDS = get_object_definition(Query, strict=True).get_field("sms_records")


def _arguments(schema: Schema, plan: ConnectionPlan, variables: VariableValues) -> PageArguments:
    """The field's arguments as its resolver receives them; raises `GraphQLError`."""
    query_type = schema._schema.query_type
    assert query_type is not None and _SMS_RECORDS is not None
    coerced = get_argument_values(
        query_type.fields["smsRecords"],
        plan.details.node,
        variables,
        plan.details.fragment_variable_values,
    )
    converted = convert_arguments(
        coerced,
        _SMS_RECORDS.arguments,
        scalar_registry=schema.schema_converter.scalar_registry,
        config=schema.config,
    )
    return PageArguments(**converted)
