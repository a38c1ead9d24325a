"""Which record fields a query selects, so adapters can ask providers for only those."""

from __future__ import annotations

from collections.abc import Iterable

from strawberry.types import Info
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from .types import RECORD_ATTRIBUTES


def _fields(selections: Iterable[Selection]) -> Iterable[SelectedField]:
    """The fields of a selection set, with fragments spread in place."""
    for selection in selections:
        if isinstance(selection, FragmentSpread | InlineFragment):
            yield from _fields(selection.selections)
        elif isinstance(selection, SelectedField):
            yield selection


def selected_record_fields(info: Info) -> frozenset[str]:
    """Names of the `SmsRecord` attributes under `edges.node` and `nodes` of this field."""
    wanted: set[str] = set()
    for connection in _fields(info.selected_fields):
        for child in _fields(connection.selections):
            records: Iterable[SelectedField] = ()
            if child.name == "nodes":
                records = _fields(child.selections)
            elif child.name == "edges":
                records = (
                    field
                    for edge_field in _fields(child.selections)
                    if edge_field.name == "node"
                    for field in _fields(edge_field.selections)
                )
            for field in records:
                wanted |= RECORD_ATTRIBUTES.get(field.name, frozenset())
    return frozenset(wanted)
