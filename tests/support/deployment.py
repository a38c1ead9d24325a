"""The gateway on loopback over provider accounts served by the test's own apps."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import aiohttp
from aiohttp import web

from gateway.config import parse_settings
from gateway.server import create_app

from .graphql import GraphQL
from .serving import serving

SECRET = "test-cursor-secret-0123456789"

Accounts = TypeVar("Accounts")


@dataclass(frozen=True)
class Upstream:
    """One provider account: the app that plays it and its `[[providers]]` entry, whose
    `base_url` is the app's root followed by `base_path`."""

    name: str
    app: web.Application
    base_path: str
    entry: Mapping[str, Any]


@dataclass(frozen=True)
class BaseOf:
    """In an extra provider entry, the `base_url` of one of the deployment's own upstreams:
    a second account on the same provider, with other credentials, say."""

    account: str


@dataclass
class Deployment(Generic[Accounts]):
    """Running upstreams and gateway replicas, and what the test knows of the accounts."""

    accounts: Accounts
    gql: GraphQL
    gateway_urls: list[str]
    roots: dict[str, str]
    """Each upstream's site root, by account."""
    bases: dict[str, str]
    """Each upstream's provider base URL, by account."""
    exits: AsyncExitStack
    apps: list[web.Application]
    """The gateway replicas' applications, for in-process execution on the same accounts."""

    @property
    def http(self) -> aiohttp.ClientSession:
        return self.gql.http

    @property
    def gateway_url(self) -> str:
        return self.gateway_urls[0]

    async def close(self) -> None:
        await self.exits.aclose()


async def deploy(
    accounts: Accounts,
    upstreams: Sequence[Upstream],
    *,
    extra_providers: Sequence[Mapping[str, Any]] = (),
    cache: Mapping[str, Any] | None = None,
    replicas: int = 1,
    replica_accounts: Sequence[Collection[str]] = (),
    settings: Mapping[str, Any] | None = None,
) -> Deployment[Accounts]:
    """Serves every upstream, then `replicas` gateways sharing one config: one provider entry
    per upstream, then `extra_providers` (a `BaseOf` base URL resolved); `settings` adds
    tables of its own (`server`, `limits`, `clients`, `auth`). With `replica_accounts`, one
    gateway per item instead, configured with only the accounts it names, as while a change
    of accounts is rolled out replica by replica. Stops whatever started if a step fails."""
    exits = AsyncExitStack()
    try:
        roots = {u.name: await exits.enter_async_context(serving(u.app)) for u in upstreams}
        bases = {u.name: roots[u.name] + u.base_path for u in upstreams}
        providers = [{**u.entry, "name": u.name, "base_url": bases[u.name]} for u in upstreams]
        providers += [
            {**e, "base_url": bases[e["base_url"].account]}
            if isinstance(e["base_url"], BaseOf)
            else dict(e)
            for e in extra_providers
        ]
        layouts = replica_accounts or [[p["name"] for p in providers]] * replicas
        apps = []
        for names in layouts:
            parsed = parse_settings(
                {
                    "security": {"cursor_secret": SECRET},
                    "cache": dict(cache or {}),
                    "providers": [p for p in providers if p["name"] in names],
                    **(settings or {}),
                },
                environ={},
            )
            apps.append(await create_app(parsed))
        gateway_urls = [await exits.enter_async_context(serving(app)) for app in apps]
        http = await exits.enter_async_context(aiohttp.ClientSession())
    except BaseException:
        await exits.aclose()
        raise
    client = GraphQL(http, [url + "/graphql" for url in gateway_urls])
    return Deployment(accounts, client, gateway_urls, roots, bases, exits, apps)
