"""The committed SDL is the schema's, and every type, field and argument is described."""

from pathlib import Path

from graphql import GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType

from gateway.schema import build_schema, export_sdl

ROOT = Path(__file__).resolve().parents[2]


def test_committed_sdl_matches_the_schema():
    assert (ROOT / "schema.graphql").read_text() == export_sdl()


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
