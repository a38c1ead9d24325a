"""Which variables decide what a document selects."""

from __future__ import annotations

from graphql import DirectiveNode, DocumentNode, VariableNode, Visitor, visit


class _SwitchVariables(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_directive(self, node: DirectiveNode, *_: object) -> None:
        if node.name.value in {"skip", "include"}:
            self.names.update(
                argument.value.name.value
                for argument in node.arguments or ()
                if isinstance(argument.value, VariableNode)
            )


def directive_variables(document: DocumentNode) -> frozenset[str]:
    """The variables that `@skip` or `@include` read: the only ones that change a plan."""
    visitor = _SwitchVariables()
    visit(document, visitor)
    return frozenset(visitor.names)
