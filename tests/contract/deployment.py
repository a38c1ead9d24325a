"""The real gateway on loopback over the contract fakes, one fake per account."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tests.support.deployment import Deployment, Upstream
from tests.support.deployment import deploy as deploy_gateway

from .data import (
    CX_ACCOUNTS,
    DFS_ZONES,
    WINDOW_END,
    WINDOW_START,
    carrierx_records,
    cx_created,
    dfs_created,
    didforsale_rows,
)
from .fakes import CarrierXFake, DidForSaleFake

CX_MANAGE, CX_READ, CX_NONE = "cx-manage-7f3a", "cx-read-91bc", "cx-none-04de"
CX_TOKENS = {CX_MANAGE: {"sms.manage"}, CX_READ: {"sms.read"}, CX_NONE: {"calls.read"}}
WINDOW_FILTER = {"createdAfter": WINDOW_START.isoformat(), "createdBefore": WINDOW_END.isoformat()}
SIZES = {"dfs-lhi": 1300, "dfs-ktm": 220, "alpha-cx": 250, "zulu-cx": 900}
TIMEOUT = {"timeout_seconds": 5}
EVERY_PAGE_FROM_THE_FAKES = {"ttl_seconds": 0}

Keep = Callable[[str, dict[str, Any], datetime], bool]
"""Which records a filter keeps: (account, raw row, contract creation instant)."""


def dfs_credentials(account: str) -> tuple[str, str]:
    return f"key-{account}", f"token-{account}"


@dataclass(frozen=True)
class Fakes:
    """The fake of each account, and what the contract says a walk over them holds."""

    dfs: dict[str, DidForSaleFake]
    cx: dict[str, CarrierXFake]

    def expected(self, *, descending: bool = False, keep: Keep | None = None) -> list[tuple]:
        """(account, record id) of every record in the window, in the contract's total order:
        createdAt, then account name, then the provider's own listing order."""
        keyed: list[tuple[Any, ...]] = []
        for name, dfs in self.dfs.items():
            for position, row in enumerate(dfs.listing()):
                keyed.append((dfs_created(row, name), name, position, row["uuid"], row))
        for name, cx in self.cx.items():
            for position, record in enumerate(cx.ascending()):
                keyed.append((cx_created(record), name, position, record["dr_sid"], record))
        kept = [
            key
            for key in keyed
            if WINDOW_START <= key[0] < WINDOW_END
            and (keep is None or keep(key[1], key[4], key[0]))
        ]
        kept.sort(key=lambda key: key[:3], reverse=descending)
        return [(key[1], key[3]) for key in kept]

    def refusals(self) -> dict[str, list[Any]]:
        """Every request any fake refused, by account; a clean run has none."""
        fakes: dict[str, Any] = {**self.dfs, **self.cx}
        return {name: fake.refusals for name, fake in fakes.items() if fake.refusals}

    def forget_refusals(self) -> None:
        """Empties every fake's log of refusals, so that a test reads only its own."""
        for fake in (*self.dfs.values(), *self.cx.values()):
            fake.refusals.clear()


Contract = Deployment[Fakes]


async def deploy(
    sizes: Mapping[str, int] | None = None, extra_providers: Sequence[Mapping[str, Any]] = ()
) -> Contract:
    """One fake per account, then the gateway with one provider entry per account (plus
    `extra_providers`, which may point at the same fakes through `BaseOf`)."""
    sizes = SIZES | dict(sizes or {})
    fakes = Fakes({}, {})
    upstreams: list[Upstream] = []
    for seed, (name, zone) in enumerate(DFS_ZONES.items(), start=100):
        key, token = dfs_credentials(name)
        rows = didforsale_rows(name, sizes[name], seed)
        dfs = fakes.dfs[name] = DidForSaleFake(rows, api_key=key, token=token, seed=seed)
        entry = {"kind": "didforsale", "api_key": key, "token": token, "timezone": zone}
        upstreams.append(Upstream(name, dfs.app(), dfs.BASE_PATH, entry | TIMEOUT))
    for seed, name in enumerate(CX_ACCOUNTS, start=200):
        records = carrierx_records(name, sizes[name], seed)
        cx = fakes.cx[name] = CarrierXFake(records, tokens=CX_TOKENS)
        entry = {"kind": "carrierx", "token": CX_MANAGE}
        upstreams.append(Upstream(name, cx.app(), cx.BASE_PATH, entry | TIMEOUT))
    return await deploy_gateway(
        fakes, upstreams, extra_providers=extra_providers, cache=EVERY_PAGE_FROM_THE_FAKES
    )
