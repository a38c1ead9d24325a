"""The limits every document meets before it runs (`[limits]`, `[server] introspection`).

Strawberry's own extensions do the counting where they exist (tokens while parsing, aliases
and depth while validating); the cost rule is ours, since only the gateway knows what a
page asks of its accounts. Parsing and validation are cached, within bounds, so a client
that sends endless distinct documents cannot grow the gateway's memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from graphql import DocumentNode, GraphQLError, GraphQLSchema, validate
from graphql.validation import ASTValidationRule
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.schema.schema import validate_document

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


@lru_cache(maxsize=DOCUMENT_CACHE_SIZE)
def _validate(
    schema: GraphQLSchema,
    document: DocumentNode,
    specified: tuple[type[ASTValidationRule], ...],
    limits: tuple[type[ASTValidationRule], ...],
) -> list[GraphQLError]:
    """The specification's rules first; the limits only over a valid document, since a
    limit rule cannot make sense of, say, a spread of an unknown fragment."""
    return validate_document(schema, document, specified) or validate(schema, document, limits)


class ValidateWithinLimits(SchemaExtension):
    """Validation, cached by document (the parser cache hands back the same document for
    the same text)."""

    def __init__(self, limit_rules: tuple[type[ASTValidationRule], ...]) -> None:
        self.limit_rules = limit_rules

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None:
            context.pre_execution_errors = _validate(
                context.schema._schema,
                context.graphql_document,
                context.validation_rules,
                self.limit_rules,
            )
        yield


def limit_extensions(limits: DocumentLimits) -> list[Callable[[], SchemaExtension]]:
    """Extension factories, in the order a document meets them.

    The limit rules are made once, so that cached validations serve every request."""
    rules: list[type[ASTValidationRule]] = [
        *MaxAliasesLimiter(max_alias_count=limits.max_aliases).validation_rules,
        *QueryDepthLimiter(max_depth=limits.max_depth).validation_rules,
    ]
    if not limits.introspection:
        rules.extend(DisableIntrospection().validation_rules)
    limit_rules = tuple(rules)
    return [
        lambda: MaxTokensLimiter(max_token_count=limits.max_tokens),
        lambda: ParserCache(maxsize=DOCUMENT_CACHE_SIZE),
        lambda: ValidateWithinLimits(limit_rules),
        lambda: CostLimiter(limits.max_cost),
    ]
