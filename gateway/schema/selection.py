"""Which record fields a query selects, so adapters can ask providers for only those."""

from __future__ import annotations

from collections.abc import Iterable

from strawberry.types import Info
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection
from strawberry.utils.str_converters import to_camel_case

from .types import SmsRecord

_DOMAIN_NAMES = {"id": "node_key", "to": "to_number"}
_BY_GRAPHQL_NAME = {
    field.graphql_name or to_camel_case(field.python_name): _DOMAIN_NAMES.get(
        field.python_name, field.python_name
    )
    for field in SmsRecord.__strawberry_definition__.fields
}


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
            wanted.update(_BY_GRAPHQL_NAME[f.name] for f in records if f.name in _BY_GRAPHQL_NAME)
    return frozenset(wanted)
