"""Names the request's operation span after the operation its document runs."""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

from gateway.tracing import name_operation


class NamedOperation(SchemaExtension):
    """Every document that reaches execution passes here, the ones the compiled path
    serves included, and only then are its operation's type and name known."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        name_operation(context.operation_type.value, context.operation_name)
        yield
