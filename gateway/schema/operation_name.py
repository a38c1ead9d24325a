"""Names the operation a request runs in its log context, once its document is parsed: the
`operationName` sent, else the name of the document's operation (null when it has none)."""

from __future__ import annotations

from collections.abc import Iterator

import structlog
from strawberry.extensions import SchemaExtension


class OperationName(SchemaExtension):
    """Binds `operation` before validation and execution, so that every later log line of the
    request (an upstream failure, the request's own line) names it."""

    def on_parse(self) -> Iterator[None]:
        yield
        structlog.contextvars.bind_contextvars(operation=self.execution_context.operation_name)
