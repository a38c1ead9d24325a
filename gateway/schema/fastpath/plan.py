"""A validated `smsRecords` query compiled into a plan: which page fields to read and how to
write each value out.

graphql-core's own field collection does the work that decides what a query selects
(fragments, inline fragments, type conditions, aliases, merged fields, `@skip`/`@include`),
and each value is written with the schema's own serializers, so a planned response is the
one ordinary execution builds. A selection the plan does not know raises `Unplannable` and
ordinary execution serves the document.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLEnumType,
    GraphQLID,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLString,
    OperationDefinitionNode,
    OperationType,
)
from graphql.execution.collect_fields import (
    FieldDetails,
    FragmentDetails,
    collect_fields,
    collect_subfields,
)
from graphql.execution.values import VariableValues
from strawberry.relay import to_base64

from gateway import records
from gateway.record_ids import record_node_id

from ..ids import RECORD_TYPE
from ..types import RECORD_ATTRIBUTES, Provider, record_python_name


class Unplannable(Exception):
    """The document asks for something the plan does not know."""


class Unservable(Exception):
    """A value ordinary execution would report as an error; it reports it."""


@dataclass(frozen=True, slots=True)
class Env:
    """What writing one response needs beyond the page: the request's accounts."""

    providers: Mapping[str, Provider]


Reader = Callable[[Any, Env], Any]
"""Reads one field of the object at hand and writes it as the response holds it."""


@dataclass(frozen=True, slots=True)
class ObjectPlan:
    """The response keys of one object, in response order, each with its reader."""

    fields: tuple[tuple[str, Reader], ...]

    def write(self, source: Any, env: Env) -> dict[str, Any]:
        return {key: read(source, env) for key, read in self.fields}


@dataclass(frozen=True, slots=True)
class ConnectionPlan:
    """One `smsRecords` field: where its arguments come from, what it writes of the page,
    and the record attributes it reads (what the adapters ask the providers for)."""

    key: str
    details: FieldDetails
    page: ObjectPlan
    attributes: frozenset[str]


@dataclass(frozen=True, slots=True)
class OperationPlan:
    """The root fields of a query, in response order: `__typename` (None) or a connection."""

    roots: tuple[tuple[str, ConnectionPlan | None], ...]


ChildReader = Callable[[GraphQLObjectType, str, list[FieldDetails]], Reader]
"""Makes the reader of a field of a parent type, by its name and its collected details."""

PAGE_INFO = {
    "hasNextPage": "has_next_page",
    "hasPreviousPage": "has_previous_page",
    "startCursor": "start_cursor",
    "endCursor": "end_cursor",
}
"""`PageInfo` fields by the `RecordPage` attribute that holds each."""


class Compiler:
    """Compiles the operations of validated documents against one schema."""

    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema

    def compile(
        self, document: DocumentNode, operation: OperationDefinitionNode, variables: VariableValues
    ) -> OperationPlan:
        query_type = self.schema.query_type
        if operation.operation is not OperationType.QUERY or query_type is None:
            raise Unplannable
        fragments = {
            definition.name.value: FragmentDetails(definition)
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        collected = collect_fields(self.schema, fragments, variables, query_type, operation)
        _plain(collected.new_defer_usages, collected.forbidden_directive_instances)
        roots: list[tuple[str, ConnectionPlan | None]] = []
        for key, details in collected.grouped_field_set.items():
            name = details[0].node.name.value
            if name == "__typename":
                roots.append((key, None))
            elif name == "smsRecords":
                collector = _Collector(self.schema, fragments, variables, operation)
                page = collector.connection(details)
                roots.append(
                    (key, ConnectionPlan(key, details[0], page, frozenset(collector.attributes)))
                )
            else:
                raise Unplannable
        return OperationPlan(tuple(roots))


@dataclass(slots=True)
class _Collector:
    """Collects the fields below a field, as execution would, into object plans."""

    schema: GraphQLSchema
    fragments: dict[str, FragmentDetails]
    variables: VariableValues
    operation: OperationDefinitionNode
    attributes: set[str] = field(default_factory=set)

    def connection(self, details: list[FieldDetails]) -> ObjectPlan:
        def child(parent: GraphQLObjectType, name: str, details: list[FieldDetails]) -> Reader:
            if name == "edges":
                edge = self.plan("SmsRecordEdge", details, self.edge_field)
                return lambda page, env: [edge.write(e, env) for e in page.edges]
            if name == "nodes":
                record = self.plan("SmsRecord", details, self.record_field)
                return lambda page, env: [record.write(e.record, env) for e in page.edges]
            if name == "pageInfo":
                page_info = self.plan("PageInfo", details, self.leaf_field(PAGE_INFO))
                return page_info.write
            if name == "providerStatus":
                status = self.plan("ProviderStatus", details, self.leaf_field({}))
                return lambda page, env: [status.write(s, env) for s in page.provider_status]
            raise Unplannable

        return self.plan("SmsRecordConnection", details, child)

    def edge_field(
        self, parent: GraphQLObjectType, name: str, details: list[FieldDetails]
    ) -> Reader:
        if name == "node":
            record = self.plan("SmsRecord", details, self.record_field)
            return lambda edge, env: record.write(edge.record, env)
        return self.leaf_field({})(parent, name, details)

    def record_field(
        self, parent: GraphQLObjectType, name: str, details: list[FieldDetails]
    ) -> Reader:
        self.attributes |= RECORD_ATTRIBUTES[name]
        if name == "id":
            return _global_id
        if name == "provider":
            provider = self.plan("Provider", details, self.leaf_field({}))
            return lambda record, env: provider.write(env.providers[record.provider], env)
        return self.leaf_field({name: record_python_name(name)})(parent, name, details)

    def leaf_field(self, attributes: Mapping[str, str]) -> ChildReader:
        """Fields read from the attribute of the same name unless `attributes` names
        another, written by their GraphQL type."""

        def reader(parent: GraphQLObjectType, name: str, details: list[FieldDetails]) -> Reader:
            return _attribute_reader(parent, name, attributes.get(name, name))

        return reader

    def plan(
        self,
        type_name: str,
        details: list[FieldDetails],
        child: ChildReader,
    ) -> ObjectPlan:
        parent = self.schema.get_type(type_name)
        assert isinstance(parent, GraphQLObjectType)
        collected = collect_subfields(
            self.schema, self.fragments, self.variables, self.operation, parent, details
        )
        _plain(collected.new_defer_usages, collected.forbidden_directive_instances)
        fields: list[tuple[str, Reader]] = []
        for key, field_details in collected.grouped_field_set.items():
            name = field_details[0].node.name.value
            if name == "__typename":
                fields.append((key, _constant(type_name)))
                continue
            fields.append((key, child(parent, name, field_details)))
        return ObjectPlan(tuple(fields))


def _plain(defers: list[Any], forbidden: list[Any]) -> None:
    """Deferred parts and directives execution would refuse are left to execution."""
    if defers or forbidden:
        raise Unplannable


def _constant(value: str) -> Reader:
    return lambda source, env: value


def _global_id(record: records.SmsRecord, env: Env) -> str:
    return to_base64(RECORD_TYPE, record_node_id(record))


def _attribute_reader(parent: GraphQLObjectType, name: str, attribute: str) -> Reader:
    """Reads `attribute` and writes it as the field's GraphQL type does."""
    write = _writer(parent.fields[name].type)
    return lambda source, env: write(getattr(source, attribute))


def _writer(graphql_type: GraphQLOutputType) -> Callable[[Any], Any]:
    """Writes a value of a leaf type or a list of them, nulls as ordinary execution allows."""
    if isinstance(graphql_type, GraphQLNonNull):
        inner = _writer(graphql_type.of_type)

        def required(value: Any) -> Any:
            written = inner(value)
            if written is None:
                raise Unservable
            return written

        return required
    if isinstance(graphql_type, GraphQLList):
        item = _writer(graphql_type.of_type)
        return lambda value: None if value is None else [item(v) for v in value]
    if not isinstance(graphql_type, GraphQLLeafType):
        raise Unplannable
    serialize = _serializer(graphql_type)

    def leaf(value: Any) -> Any:
        if value is None:
            return None
        written = serialize(value)
        if written is None:
            raise Unservable
        return written

    return leaf


def _serializer(leaf: GraphQLLeafType) -> Callable[[Any], Any]:
    """The type's own `serialize`, with two shortcuts that give its very results: a `str`
    is its own `String` or `ID` (graphql-core returns it as is), and an enum member's name
    is worked out once per member."""
    serialize = leaf.serialize
    if leaf is GraphQLString or leaf is GraphQLID:
        return lambda value: value if type(value) is str else serialize(value)
    if isinstance(leaf, GraphQLEnumType):
        names: dict[Any, Any] = {}

        def enum_name(value: Any) -> Any:
            name = names.get(value)
            if name is None:
                name = names[value] = serialize(value)
            return name

        return enum_name
    return serialize
