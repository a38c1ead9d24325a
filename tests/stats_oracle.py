"""The tests' own reading of the totals contract, computed from raw provider data.

Each test turns its dataset into `Fact`s (what the contract says a record's key values,
segments and price are) and compares `smsRecordStats` to `expected` over them. Nothing here
uses the gateway's totals code: buckets are counted with plain dicts and sorted by the
contract's rule, enum values in the order the schema declares them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

KEYS = ("PROVIDER", "DIRECTION", "STATUS", "TYPE", "DAY", "HOUR")
DECLARED = {
    "DIRECTION": ("INBOUND", "OUTBOUND", "UNDIRECTED"),
    "STATUS": (
        "QUEUED",
        "SENT",
        "DELIVERED",
        "UNDELIVERED",
        "FAILED",
        "RECEIVED",
        "TIMED_OUT",
        "SENDING_FAILED",
        "SENDING_TIMED_OUT",
        "INTERNAL_ERROR",
        "UNKNOWN",
    ),
    "TYPE": ("SMS", "MMS"),
}
"""The schema's enums in declaration order (the contract's SDL)."""

STATS = """
query Stats($filter: SmsRecordFilter, $groupBy: [SmsRecordStatsKey!]!, $timeZone: String!) {
  smsRecordStats(filter: $filter, groupBy: $groupBy, timeZone: $timeZone) {
    total { ...totals }
    buckets { key { provider direction status type day hour } ...totals }
    complete
    providerStatus { provider ok code message }
  }
}
fragment totals on SmsRecordStatsBucket { count segments price unpricedCount }
"""


@dataclass(frozen=True, slots=True)
class Fact:
    """One record as the contract reads it: schema enum names, UTC creation instant."""

    account: str
    created_at: datetime
    direction: str
    status: str
    type: str
    segments: int | None
    price: Decimal | None


def _key_value(fact: Fact, key: str, zone: ZoneInfo) -> str:
    if key == "DAY":
        return fact.created_at.astimezone(zone).strftime("%Y-%m-%d")
    if key == "HOUR":
        return fact.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:00:00.000Z")
    return {
        "PROVIDER": fact.account,
        "DIRECTION": fact.direction,
        "STATUS": fact.status,
        "TYPE": fact.type,
    }[key]


def _totals(facts: list[Fact]) -> dict[str, Any]:
    return {
        "count": len(facts),
        "segments": sum(fact.segments or 0 for fact in facts),
        "price": sum((fact.price for fact in facts if fact.price is not None), Decimal(0)),
        "unpricedCount": sum(1 for fact in facts if fact.price is None),
    }


def expected(facts: list[Fact], group_by: list[str], time_zone: str = "UTC") -> dict[str, Any]:
    """`total` and `buckets` as the contract defines them over these (already filtered)
    records, prices as `Decimal`."""
    zone = ZoneInfo(time_zone)
    groups: dict[tuple[str, ...], list[Fact]] = {}
    for fact in facts:
        groups.setdefault(tuple(_key_value(fact, key, zone) for key in group_by), []).append(fact)

    def rank(values: tuple[str, ...]) -> tuple[Any, ...]:
        return tuple(
            DECLARED[key].index(value) if key in DECLARED else value
            for key, value in zip(group_by, values, strict=True)
        )

    buckets = []
    for values in sorted(groups, key=rank):
        named = dict(zip(group_by, values, strict=True))
        key = {name.lower(): named.get(name) for name in KEYS}
        buckets.append({"key": key, **_totals(groups[values])})
    return {"total": _totals(facts), "buckets": buckets}


def observed(stats: dict[str, Any]) -> dict[str, Any]:
    """`total` and `buckets` of a `smsRecordStats` answer, prices as `Decimal`."""

    def exact(bucket: dict[str, Any]) -> dict[str, Any]:
        return {**bucket, "price": Decimal(bucket["price"])}

    return {"total": exact(stats["total"]), "buckets": [exact(b) for b in stats["buckets"]]}


def sum_of_buckets(stats: dict[str, Any]) -> dict[str, Any]:
    """The buckets of an answer added up, in the form of its `total` (prices as Decimal)."""
    buckets = observed(stats)["buckets"]
    return {
        "count": sum(b["count"] for b in buckets),
        "segments": sum(b["segments"] for b in buckets),
        "price": sum((b["price"] for b in buckets), Decimal(0)),
        "unpricedCount": sum(b["unpricedCount"] for b in buckets),
    }
