"""Per-request context: the service, this request's DataLoader, and errors to report
alongside data (a provider that failed while others answered)."""

from __future__ import annotations

from dataclasses import dataclass, field

from strawberry.dataloader import DataLoader

from gateway import records
from gateway.auth import Caller
from gateway.errors import GatewayError
from gateway.service import RecordService
from gateway.stats import StatsService

from .types import Provider


@dataclass(frozen=True, slots=True)
class PartialError:
    """An error that does not void the field it belongs to."""

    error: GatewayError
    path: tuple[str | int, ...]


@dataclass(slots=True)
class GatewayContext:
    service: RecordService
    stats: StatsService
    providers: dict[str, Provider]
    records: DataLoader[str, records.SmsRecord | None]
    partial_errors: list[PartialError] = field(default_factory=list)


def provider_types(service: RecordService) -> dict[str, Provider]:
    """The GraphQL view of every configured account, by name."""
    return {
        adapter.name: Provider(
            name=adapter.name,
            kind=adapter.kind,
            capabilities=sorted(adapter.capabilities, key=lambda c: c.value),
        )
        for adapter in service.adapters
    }


def make_context(
    service: RecordService, stats: StatsService, providers: dict[str, Provider], caller: Caller
) -> GatewayContext:
    """A fresh context, and so a fresh DataLoader cache, for each request; everything in it
    sees only the caller's accounts."""
    scoped = service.scoped(caller)
    return GatewayContext(
        service=scoped,
        stats=stats.over(scoped),
        providers={adapter.name: providers[adapter.name] for adapter in scoped.adapters},
        records=DataLoader(load_fn=scoped.get_records),
    )
