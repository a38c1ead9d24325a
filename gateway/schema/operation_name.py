"""Names the operation a request runs, for its log lines and its trace: in the log context
once its document is parsed (the `operationName` sent, else the name of the document's
operation, null when it has none), and on the request's operation span once it executes."""

from __future__ import annotations

from collections.abc import Iterator

import structlog
from strawberry.extensions import SchemaExtension

from gateway.tracing import name_operation


class OperationName(SchemaExtension):
    """Every document passes here, the ones the compiled path serves included: `operation`
    is bound before validation, so every later log line of the request (an upstream failure,
    the request's own line) names it; the span is named at execution, when the operation's
    type is known."""

    def on_parse(self) -> Iterator[None]:
        yield
        structlog.contextvars.bind_contextvars(operation=self.execution_context.operation_name)

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        name_operation(context.operation_type.value, context.operation_name)
        yield
