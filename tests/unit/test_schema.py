"""The committed SDLs are the schema's and the subgraph's, and every type, field and argument
is described."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from graphql import GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType

from gateway.schema import build_schema, export_sdl

ROOT = Path(__file__).resolve().parents[2]


def test_committed_sdl_matches_the_schema():
    assert (ROOT / "schema.graphql").read_text() == export_sdl()


def test_committed_subgraph_sdl_matches_the_subgraph():
    assert (ROOT / "schema.federation.graphql").read_text() == export_sdl(federation=True)


def test_building_the_subgraph_leaves_the_ordinary_schema_unkeyed():
    ordinary = export_sdl()
    assert "@key" in export_sdl(federation=True)
    assert export_sdl() == ordinary
    assert "@key" not in ordinary and "_service" not in ordinary


@pytest.mark.parametrize("subgraph_first", [False, True])
def test_schemas_built_in_either_order_or_at_once_are_the_committed_ones(subgraph_first):
    """Building the subgraph lends the entity classes keyed definitions; no other build,
    before, after or in another thread meanwhile, may see them or miss them."""
    committed = {
        False: (ROOT / "schema.graphql").read_text(),
        True: (ROOT / "schema.federation.graphql").read_text(),
    }
    order = [subgraph_first, not subgraph_first]
    assert {federation: export_sdl(federation=federation) for federation in order} == committed
    with ThreadPoolExecutor(max_workers=4) as pool:
        built = list(pool.map(lambda federation: export_sdl(federation=federation), order * 4))
    assert built == [committed[federation] for federation in order * 4]


def test_every_type_field_and_argument_has_a_description():
    missing = []
    for name, graphql_type in build_schema()._schema.type_map.items():
        if name.startswith("__") or name in {"String", "Boolean", "Int", "Float", "ID"}:
            continue
        if not graphql_type.description:
            missing.append(name)
        kinds = (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)
        if isinstance(graphql_type, kinds):
            for field_name, field in graphql_type.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                for arg_name, arg in getattr(field, "args", {}).items():
                    if not arg.description:
                        missing.append(f"{name}.{field_name}({arg_name})")
    assert missing == []
