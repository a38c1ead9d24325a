"""The compiled path for `smsRecords` answers exactly as ordinary execution does.

Random documents (fields, aliases, named and inline fragments, `@skip`/`@include` with
variables, `__typename`, page arguments valid and not, filters, an account that is down)
run through the schema as served and through the same schema with ordinary execution only,
on the same simulated accounts, with a fixed clock so that both make the same cursors;
data and errors must be equal, key order included.
"""

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.auth import Caller
from gateway.metrics import REGISTRY
from gateway.paging.cursor import CursorCodec
from gateway.schema import GatewaySchema, build_schema
from gateway.schema.context import make_context, provider_types
from gateway.schema.limits import DocumentLimits
from gateway.server.health import SERVICE
from gateway.service import RecordService
from gateway.stats import StatsService
from tests.support.deployment import SECRET
from tests.support.serving import unused_port

from .accounts import deploy

NOW = datetime.now(UTC).replace(microsecond=0)
DOWN = "cx-down"

RECORD_FIELDS = [
    "id",
    "providerRecordId",
    "direction",
    "status",
    "rawStatus",
    "type",
    "from",
    "to",
    "groupRecipients",
    "body",
    "mediaUrls",
    "segments",
    "price",
    "createdAt",
    "sentAt",
    "finishedAt",
    "updatedAt",
    "userData",
    "mcc",
    "mnc",
    "carrier",
    "raw",
    "__typename",
    "provider { name kind capabilities __typename }",
]
PAGE_INFO_FIELDS = ["hasNextPage", "hasPreviousPage", "startCursor", "endCursor", "__typename"]
STATUS_FIELDS = ["provider", "ok", "code", "message", "__typename"]


class Pair:
    """Both schemas over one service with a fixed clock."""

    def __init__(self, service: RecordService) -> None:
        self.service = service
        limits = DocumentLimits(max_aliases=200, max_depth=20, max_cost=100_000)
        self.fast = build_schema(limits)
        self.ordinary = build_schema(limits, fast_path=False)
        self.cursor = ""
        """A real cursor of the first page newest first, unfiltered; `$cursor` in a query."""

    async def run(self, schema: GatewaySchema, query: str, variables: dict[str, Any]) -> Any:
        context = make_context(
            self.service,
            StatsService(self.service, max_calls=10),
            provider_types(self.service),
            Caller.open(),
        )
        result = await schema.execute(query, variables, context_value=context)
        errors = sorted(
            json.dumps(error.formatted, sort_keys=True) for error in result.errors or []
        )
        return json.dumps(result.data, default=str), errors


@pytest.fixture(scope="module")
async def pair():
    down = {
        "name": DOWN,
        "kind": "carrierx",
        "token": "t",
        "base_url": f"http://127.0.0.1:{unused_port()}/core/v2",
        "retries": 0,
        "breaker_failures": 1_000_000,
    }
    deployed = await deploy(
        dfs_count=200, cx_counts=(200,), extra_providers=[down], cache={"ttl_seconds": 3600}
    )
    served = deployed.apps[0][SERVICE]
    fixed = RecordService(served.adapters, CursorCodec(SECRET), served.rules, clock=lambda: NOW)
    made = Pair(fixed)
    first = await made.run(made.ordinary, "{ smsRecords(first: 3) { pageInfo { endCursor } } }", {})
    made.cursor = json.loads(first[0])["smsRecords"]["pageInfo"]["endCursor"]
    yield made
    await deployed.close()


fragments_counter = iter(range(10**9))


@st.composite
def selection(draw: st.DrawFn, type_name: str, fields: list[Any], fragments: list[str]) -> str:
    """Some of `fields` (strings, or callables drawing a nested selection), each maybe
    aliased, under a directive, or inside an inline or a named fragment."""
    chosen = draw(st.lists(st.sampled_from(range(len(fields))), min_size=1, max_size=5))
    parts = []
    for index in chosen:
        field = fields[index]
        text = field if isinstance(field, str) else draw(field())
        if draw(st.booleans()) and not text.startswith("__"):
            text = f"a{draw(st.integers(0, 3))}{index}: {text}"
        directive = draw(
            st.sampled_from(
                ["", "", "", " @include(if: $yes)", " @skip(if: $no)", " @include(if: $no)"]
            )
        )
        name, _, rest = text.partition(" {")
        text = f"{name}{directive}" + (f" {{{rest}" if rest else "")
        wrap = draw(st.sampled_from(["plain", "plain", "inline", "typed", "named"]))
        if wrap == "inline":
            text = f"... {{ {text} }}"
        elif wrap == "typed":
            text = f"... on {type_name} {{ {text} }}"
        elif wrap == "named":
            fragment = f"F{next(fragments_counter)}"
            fragments.append(f"fragment {fragment} on {type_name} {{ {text} }}")
            text = f"...{fragment}"
        parts.append(text)
    return " ".join(parts)


@st.composite
def connection(draw: st.DrawFn, fragments: list[str]) -> str:
    def record():
        return selection("SmsRecord", RECORD_FIELDS, fragments).map(lambda s: f"{{ {s} }}")

    def edge_node():
        return record().map(lambda s: f"node {s}")

    def edges():
        inner = selection("SmsRecordEdge", ["cursor", "__typename", edge_node], fragments)
        return inner.map(lambda s: f"edges {{ {s} }}")

    def nodes():
        return record().map(lambda s: f"nodes {s}")

    def page_info():
        inner = selection("PageInfo", PAGE_INFO_FIELDS, fragments)
        return inner.map(lambda s: f"pageInfo {{ {s} }}")

    def status():
        inner = selection("ProviderStatus", STATUS_FIELDS, fragments)
        return inner.map(lambda s: f"providerStatus {{ {s} }}")

    fields = [edges, nodes, page_info, status, "__typename"]
    return draw(selection("SmsRecordConnection", fields, fragments))


def mostly(valid: list[Any], invalid: list[Any]) -> st.SearchStrategy[Any]:
    """Valid values four times as often as invalid ones."""
    return st.sampled_from(valid * 4 + invalid)


page_size = st.one_of(
    st.fixed_dictionaries({}, optional={"first": mostly([0, 1, 3, 7], [-1, 101])}),
    st.fixed_dictionaries({"last": mostly([0, 2, 5], [-2])}),
    st.just({"first": 2, "last": 2}),
)
arguments = st.tuples(
    page_size,
    st.fixed_dictionaries(
        {},
        optional={
            "after": mostly(["$cursor"], ['"not-a-cursor"', '""']),
            "orderBy": st.sampled_from(["CREATED_AT_ASC", "CREATED_AT_DESC"]),
            "filter": st.fixed_dictionaries(
                {},
                optional={
                    "providers": mostly(
                        ['["dfs"]', '["cx-a"]', f'["{DOWN}"]', f'["cx-a", "{DOWN}"]'], ['["nope"]']
                    ),
                    "direction": st.sampled_from(["INBOUND", "OUTBOUND"]),
                    "type": st.sampled_from(["SMS", "MMS"]),
                    "statuses": st.sampled_from(["[DELIVERED]", "[FAILED, RECEIVED]"]),
                    "number": mostly(['"+15550100"'], ['"555"']),
                },
            ).map(lambda f: "{" + ", ".join(f"{k}: {v}" for k, v in f.items()) + "}"),
        },
    ),
).map(lambda both: ", ".join(f"{k}: {v}" for k, v in {**both[0], **both[1]}.items()))


@st.composite
def documents(draw: st.DrawFn) -> str:
    fragments: list[str] = []
    roots = []
    for index in range(draw(st.integers(1, 2))):
        args = draw(arguments)
        body = draw(connection(fragments))
        roots.append(f"r{index}: smsRecords{f'({args})' if args else ''} {{ {body} }}")
    if draw(st.booleans()):
        roots.append("__typename")
    cursor = ", $cursor: String" if "$cursor" in " ".join(roots) else ""
    operation = f"query Q($yes: Boolean!, $no: Boolean!{cursor})"
    return f"{operation} {{ {' '.join(roots)} }} " + " ".join(fragments)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(document=documents())
async def test_compiled_pages_equal_ordinary_execution(pair: Pair, document: str):
    variables = {"yes": True, "no": False, "cursor": pair.cursor}
    assert await pair.run(pair.fast, document, variables) == await pair.run(
        pair.ordinary, document, variables
    )


def plans_compiled() -> float:
    return REGISTRY.get_sample_value("gateway_documents_prepared_total", {"stage": "plan"}) or 0


async def test_a_document_is_compiled_once_and_served_by_its_plan(pair: Pair):
    document = (
        "query P($yes: Boolean!) { smsRecords(first: 5) { "
        "edges { cursor node { id createdAt price raw provider { name } } } "
        "pageInfo { hasNextPage endCursor } providerStatus { provider ok code } } "
        "again: smsRecords(first: 2) @include(if: $yes) { nodes { id } } }"
    )
    before = plans_compiled()
    for flag in (True, True, False, False):
        fast = await pair.run(pair.fast, document, {"yes": flag})
        assert fast == await pair.run(pair.ordinary, document, {"yes": flag})
        assert json.loads(fast[0])["smsRecords"]["providerStatus"][-1]["ok"] is False
        assert sorted(json.loads(e)["path"] for e in fast[1]) == (
            [["again"], ["smsRecords"]] if flag else [["smsRecords"]]
        )
    assert plans_compiled() - before == 2
