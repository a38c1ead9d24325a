"""Provider adapters: one class per provider kind, chosen here and nowhere else."""

from __future__ import annotations

import aiohttp

from gateway.cache import PageCache
from gateway.config import CarrierXSettings, DidForSaleSettings, ProviderSettings
from gateway.providers.base import ProviderAdapter
from gateway.providers.carrierx import CarrierXAdapter
from gateway.providers.didforsale import DidForSaleAdapter
from gateway.providers.http import close_session, make_session

__all__ = ["build_adapter", "build_adapters", "close_session", "make_session"]


def build_adapter(
    settings: ProviderSettings, session: aiohttp.ClientSession, cache: PageCache | None = None
) -> ProviderAdapter:
    """The adapter for one configured account, by its kind."""
    if isinstance(settings, DidForSaleSettings):
        return DidForSaleAdapter(settings, session, cache=cache)
    if isinstance(settings, CarrierXSettings):
        return CarrierXAdapter(settings, session, cache=cache)
    raise TypeError(f"no adapter for provider kind {settings.kind!r}")


def build_adapters(
    providers: tuple[ProviderSettings, ...],
    session: aiohttp.ClientSession,
    cache: PageCache | None = None,
) -> list[ProviderAdapter]:
    """Adapters for every configured account, in config order, sharing one session and cache."""
    return [build_adapter(settings, session, cache) for settings in providers]
