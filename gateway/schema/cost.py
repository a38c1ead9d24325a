"""What a document will cost the providers, counted before anything runs.

A document is refused when it asks more than `[limits] max_cost` (contract): each
`smsRecords` costs its page size times the accounts it asks, each `nodes` its ids, each
`node` one, each `smsRecordStats` a hundred per account; a subgraph's `_entities` costs its
representations, as `nodes` its ids. Counted on the operation that
runs, after validation, with the request's variables, so `first: $n` counts as sent.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    value_from_ast_untyped,
)

STATS_COST_PER_ACCOUNT = 100
LOOKUPS = {"nodes": "ids", "_entities": "representations"}
"""The fields that look objects up by a list, with the argument that lists them."""


@dataclass(frozen=True, slots=True)
class CostRules:
    """The numbers a cost depends on besides the document."""

    default_page_size: int
    accounts: Collection[str]
    """The accounts the caller may read: what an `smsRecords` without `providers` asks."""


def document_cost(
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    rules: CostRules,
) -> int:
    """The cost of the operation that would run; 0 when there is none to pick."""
    operation = _operation(document, operation_name)
    if operation is None:
        return 0
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    given = variables or {}
    return sum(
        _field_cost(field, given, rules)
        for field in _root_fields(operation.selection_set, fragments)
    )


def _operation(document: DocumentNode, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == name), None)


def _root_fields(
    selection_set: SelectionSetNode, fragments: Mapping[str, FragmentDefinitionNode]
) -> Iterator[FieldNode]:
    """The operation's top-level fields, fragments spread in place (each spread counts,
    as each one runs)."""
    pending = list(reversed(selection_set.selections))
    while pending:
        selection = pending.pop()
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            pending.extend(reversed(selection.selection_set.selections))
        elif isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is not None:
                pending.extend(reversed(fragment.selection_set.selections))


def _field_cost(field: FieldNode, variables: Mapping[str, Any], rules: CostRules) -> int:
    arguments = {
        argument.name.value: value_from_ast_untyped(argument.value, dict(variables))
        for argument in field.arguments or ()
    }
    name = field.name.value
    if name == "smsRecords":
        size = _count(arguments.get("first"))
        if size is None:
            size = _count(arguments.get("last"))
        if size is None:
            size = rules.default_page_size
        return size * _accounts_asked(arguments.get("filter"), rules)
    if name == "smsRecordStats":
        return STATS_COST_PER_ACCOUNT * _accounts_asked(arguments.get("filter"), rules)
    if name in LOOKUPS:
        listed = arguments.get(LOOKUPS[name])
        return len(listed) if isinstance(listed, list) else 1
    if name == "node":
        return 1
    return 0


def _count(value: object) -> int | None:
    """A page size as sent; a value that is not a count is left to the argument's own
    check, which refuses it before anything runs."""
    if isinstance(value, int) and not isinstance(value, bool):
        return max(value, 0)
    return None


def _accounts_asked(record_filter: object, rules: CostRules) -> int:
    if isinstance(record_filter, Mapping):
        named = record_filter.get("providers")
        if isinstance(named, list):
            return len({name for name in named if isinstance(name, str)} & set(rules.accounts))
    return len(rules.accounts)
