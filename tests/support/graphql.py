"""A GraphQL client for the gateway under test: a query in, the JSON reply out."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import aiohttp

Client = Callable[[str, Mapping[str, Any] | None], Awaitable[dict[str, Any]]]
"""What a walk needs: post one query with its variables, get the reply."""


class GraphQL:
    """Posts to the `/graphql` endpoint of one or more gateway replicas over one session."""

    def __init__(self, http: aiohttp.ClientSession, urls: Sequence[str]) -> None:
        self.http = http
        self.urls = list(urls)

    async def __call__(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        *,
        replica: int = 0,
        headers: Mapping[str, str] | None = None,
        status: int | None = 200,
    ) -> dict[str, Any]:
        """The decoded reply of `replica`; asserts its HTTP status unless `status` is None."""
        payload = {"query": query, "variables": dict(variables or {})}
        async with self.http.post(
            self.urls[replica], json=payload, headers=dict(headers or {})
        ) as response:
            if status is not None:
                assert response.status == status, await response.text()
            return await response.json()

    def round_robin(self) -> Client:
        """A client that sends each query to the next replica in turn, as a load balancer
        might, so that one walk crosses every replica."""
        turns = itertools.count()

        async def post(query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
            return await self(query, variables, replica=next(turns) % len(self.urls))

        return post
