"""The limits every document meets before it runs (`[limits]`, `[server] introspection`).

The parser counts tokens and Strawberry's own rules count aliases and depth while
validating; the cost rule is ours, since only the gateway knows what a
page asks of its accounts. Parsing and validation are cached, within bounds, so that a
document seen before costs neither again and a client that sends endless distinct documents
cannot grow the gateway's memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from cachetools import LRUCache
from graphql import DocumentNode, FieldNode, GraphQLError, GraphQLSchema, parse, validate
from graphql.validation import ASTValidationRule, ValidationRule
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.schema.schema import validate_document

from gateway.metrics import DOCUMENTS_PREPARED

from .context import GatewayContext
from .cost import CostRules, document_cost

DOCUMENT_CACHE_SIZE = 512
"""Parsed and validated documents kept: an app sends a few dozen distinct ones."""


@dataclass(frozen=True, slots=True)
class DocumentLimits:
    """How large a document may be, and what it may ask (contract defaults)."""

    max_depth: int = 10
    max_aliases: int = 10
    max_tokens: int = 2000
    max_cost: int = 2000
    introspection: bool = True


class NoServiceSdl(ValidationRule):
    """With introspection off, a subgraph's `_service` is refused as `__schema` is: its `sdl`
    is the whole schema. A router then composes from `export-schema --federation`'s file."""

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        if node.name.value == "_service" and self.context.get_parent_type() is (
            self.context.schema.query_type
        ):
            self.report_error(
                GraphQLError(
                    "GraphQL introspection has been disabled, but the requested query"
                    " contained the field '_service'.",
                    node,
                )
            )


class CostLimiter(SchemaExtension):
    """Refuses, before execution, a document that would ask the providers too much."""

    def __init__(self, max_cost: int) -> None:
        self.max_cost = max_cost

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        gateway = context.context
        if isinstance(gateway, GatewayContext) and context.graphql_document is not None:
            cost = document_cost(
                context.graphql_document,
                context.operation_name,
                context.variables,
                CostRules(gateway.service.rules.default_page_size, gateway.providers.keys()),
            )
            if cost > self.max_cost:
                raise GraphQLError(
                    f"The document costs {cost}, over the limit of {self.max_cost} "
                    f"by {cost - self.max_cost}: ask for smaller pages or fewer accounts.",
                    extensions={"code": "BAD_USER_INPUT", "cost": cost, "maxCost": self.max_cost},
                )
        yield


class DocumentCache:
    """Parsed documents by their text, and validation errors by document, for one schema.

    Validations are found by the document's identity (the parse cache hands back the same
    document for the same text): a document is a frozen dataclass tree whose hash would be
    computed anew, node by node, on every lookup. Each entry keeps its document, so its
    identity cannot pass to another while the entry lives."""

    def __init__(self, size: int = DOCUMENT_CACHE_SIZE) -> None:
        self._parsed: LRUCache[str, DocumentNode] = LRUCache(size)
        self._validated: LRUCache[int, tuple[DocumentNode, list[GraphQLError]]] = LRUCache(size)

    def parsed(self, query: str, max_tokens: int | None) -> DocumentNode:
        """The document of `query`; raises the parser's `GraphQLError` (syntax, tokens)."""
        document = self._parsed.get(query)
        if document is None:
            document = parse(query, max_tokens=max_tokens)
            DOCUMENTS_PREPARED.labels(stage="parse").inc()
            self._parsed[query] = document
        return document

    def validated(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        specified: tuple[type[ASTValidationRule], ...],
        limits: tuple[type[ASTValidationRule], ...],
    ) -> list[GraphQLError]:
        """The specification's rules first; the limits only over a valid document, since a
        limit rule cannot make sense of, say, a spread of an unknown fragment."""
        entry = self._validated.get(id(document))
        if entry is not None and entry[0] is document:
            return entry[1]
        errors = validate_document(schema, document, specified) or validate(
            schema, document, limits
        )
        DOCUMENTS_PREPARED.labels(stage="validate").inc()
        self._validated[id(document)] = (document, errors)
        return errors


class CachedDocuments(SchemaExtension):
    """Parsing and validation within the limits, each done once per distinct document."""

    def __init__(
        self,
        cache: DocumentCache,
        max_tokens: int,
        limit_rules: tuple[type[ASTValidationRule], ...],
    ) -> None:
        self.cache = cache
        self.max_tokens = max_tokens
        self.limit_rules = limit_rules

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is None and context.query:
            context.graphql_document = self.cache.parsed(context.query, self.max_tokens)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None:
            context.pre_execution_errors = self.cache.validated(
                context.schema._schema,
                context.graphql_document,
                context.validation_rules,
                self.limit_rules,
            )
        yield


def limit_extensions(limits: DocumentLimits) -> list[Callable[[], SchemaExtension]]:
    """Extension factories, in the order a document meets them; the document cache and the
    limit rules are made once, for every request."""
    rules: list[type[ASTValidationRule]] = [
        *MaxAliasesLimiter(max_alias_count=limits.max_aliases).validation_rules,
        *QueryDepthLimiter(max_depth=limits.max_depth).validation_rules,
    ]
    if not limits.introspection:
        rules.extend([*DisableIntrospection().validation_rules, NoServiceSdl])
    limit_rules = tuple(rules)
    cache = DocumentCache()
    return [
        lambda: CachedDocuments(cache, limits.max_tokens, limit_rules),
        lambda: CostLimiter(limits.max_cost),
    ]
