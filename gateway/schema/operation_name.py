"""Names the operation a request runs, for its log lines, its trace and its latency metric.

Only a document that passed validation is named, and by the operation it actually runs (its
own name, null when it has none): the `operationName` a client sends is a choice among the
document's operations, never a name of its own, so it reaches no log line, span or label."""

from __future__ import annotations

from collections.abc import Iterator

import structlog
from graphql import get_operation_ast
from strawberry.extensions import SchemaExtension

from gateway.metrics import operation_executed
from gateway.tracing import name_operation


class OperationName(SchemaExtension):
    """First of the extensions at execution, so a document the cost limit then refuses
    still names its span and its log lines; every document passes here, the ones the
    compiled path serves included. Only a document that ran is timed by operation, so
    refused ones cannot use up the metric's bounded label set."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        operation = (
            None if document is None else get_operation_ast(document, context.operation_name)
        )
        name = operation.name.value if operation is not None and operation.name else None
        structlog.contextvars.bind_contextvars(operation=name)
        name_operation(context.operation_type.value, name)
        yield
        operation_executed(name)
