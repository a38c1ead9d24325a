"""Relay walks: a connection paged to its end with `first`/`after` or `last`/`before`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from .graphql import Client

PAGE = """
query Page($first: Int, $after: String, $last: Int, $before: String,
           $order: SmsRecordOrder = CREATED_AT_DESC, $filter: SmsRecordFilter) {
  smsRecords(first: $first, after: $after, last: $last, before: $before,
             orderBy: $order, filter: $filter) {
    edges { cursor node { id provider { name } providerRecordId createdAt } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    providerStatus { provider ok code message }
  }
}
"""
"""One page of `smsRecords`, with every paging argument a variable."""


@dataclass(frozen=True)
class Direction:
    """The Relay arguments and `pageInfo` fields of a walk one way."""

    size: str
    cursor: str
    ahead: str
    behind: str
    resume: str


FORWARD = Direction("first", "after", "hasNextPage", "hasPreviousPage", "endCursor")
BACKWARD = Direction("last", "before", "hasPreviousPage", "hasNextPage", "startCursor")


@dataclass(frozen=True)
class Page:
    """One reply of a walk, and the cursor it was asked from (None for the first page)."""

    reply: dict[str, Any]
    cursor: str | None

    @property
    def connection(self) -> dict[str, Any]:
        return self.reply["data"]["smsRecords"]

    @property
    def info(self) -> dict[str, Any]:
        return self.connection["pageInfo"]

    @property
    def nodes(self) -> list[dict[str, Any]]:
        """The page's records, whether the query read `edges` or `nodes`."""
        connection = self.connection
        if "edges" in connection:
            return [edge["node"] for edge in connection["edges"]]
        return connection["nodes"]

    @property
    def failed(self) -> dict[str, str]:
        """The error code of every provider the page reports as failed."""
        statuses = self.connection.get("providerStatus", [])
        return {status["provider"]: status["code"] for status in statuses if not status["ok"]}


@dataclass(frozen=True)
class Walk:
    """Every page of one walk, in the order they were asked for."""

    direction: Direction
    size: int
    pages: list[Page]

    @property
    def records(self) -> list[dict[str, Any]]:
        """The records in the query's order (a backward walk's pages read last to first)."""
        pages = self.pages if self.direction is FORWARD else self.pages[::-1]
        return [node for page in pages for node in page.nodes]

    def check_relay(self) -> None:
        """The flag behind each page says whether it was asked from a cursor, every page
        short of the end is full, and the cursor to go on from is its outermost edge's."""
        way = self.direction
        for number, page in enumerate(self.pages, start=1):
            assert page.info[way.behind] is (page.cursor is not None), number
            held = len(page.nodes)
            assert held <= self.size, number
            if number == len(self.pages):
                continue
            assert held == self.size, f"page {number}, short of the end, held {held}"
            edges = page.connection.get("edges")
            if edges and "cursor" in edges[0]:
                outermost = edges[-1] if way is FORWARD else edges[0]
                assert page.info[way.resume] == outermost["cursor"], number


def record_keys(records: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(account, provider record id) of each record, the key the tests compare walks by."""
    return [(record["provider"]["name"], record["providerRecordId"]) for record in records]


async def walk(
    client: Client,
    direction: Direction,
    size: int,
    *,
    query: str = PAGE,
    strict: bool = True,
    before_each: Callable[[int], Awaitable[None]] | None = None,
    max_pages: int = 10_000,
    **variables: Any,
) -> Walk:
    """Pages of `size` from no cursor until the end; `variables` go with every page.

    `strict`: every page comes without errors and with every provider it lists ok.
    `before_each(n)` runs before the n-th page (from 0) is asked for, to change the world
    mid-walk. A walk still going after `max_pages` fails rather than loop for ever."""
    pages: list[Page] = []
    cursor: str | None = None
    while len(pages) < max_pages:
        if before_each is not None:
            await before_each(len(pages))
        reply = await client(query, variables | {direction.size: size, direction.cursor: cursor})
        page = Page(reply, cursor)
        if strict:
            assert "errors" not in reply, reply["errors"]
            assert not page.failed, page.connection["providerStatus"]
        pages.append(page)
        if not page.info[direction.ahead]:
            return Walk(direction, size, pages)
        cursor = page.info[direction.resume]
    seen = sum(len(page.nodes) for page in pages)
    raise AssertionError(f"the walk did not end within {max_pages} pages; {seen} records seen")
