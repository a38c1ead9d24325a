"""The GraphQL schema; the only package that imports Strawberry."""

from __future__ import annotations

from strawberry import Schema
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter
from strawberry.schema.config import StrawberryConfig

from .errors import ErrorCodes
from .mutation import Mutation
from .query import Query
from .scalars import SCALAR_MAP
from .types import SmsRecord

MAX_ALIASES = 10
"""Each aliased `smsRecords` is a fan-out to every provider; a document gets this many."""
MAX_DEPTH = 10


class GatewaySchema(Schema):
    """Errors are logged where they are understood (`ErrorCodes`), not once per field."""

    def process_errors(self, errors: list, execution_context: object = None) -> None:
        return None


schema = GatewaySchema(
    query=Query,
    mutation=Mutation,
    types=[SmsRecord],
    extensions=[
        ErrorCodes,
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
    ],
    config=StrawberryConfig(scalar_map=SCALAR_MAP),
)


def export_sdl() -> str:
    """The schema in SDL, as committed in `schema.graphql`."""
    return schema.as_str() + "\n"
