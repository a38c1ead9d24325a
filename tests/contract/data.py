"""Datasets for the contract fakes, and the contract's total order computed from them.

The window holds Lord Howe Island's fall-back (2024-04-07 02:00 LHDT → 01:30 LHST, a half-hour
fold), same-second DIDforSale ties inserted against `uuid` order, same-millisecond CarrierX
ties inserted against `dr_sid` order, and instants shared by all four accounts.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from random import Random
from typing import Any
from zoneinfo import ZoneInfo

from .fakes import cx_date

WINDOW_START = datetime(2024, 4, 3, tzinfo=UTC)
WINDOW_END = datetime(2024, 4, 10, tzinfo=UTC)
FOLD_START = datetime(2024, 4, 6, 14, 30, tzinfo=UTC)
"""Lord Howe wall times from here to 15:30Z are shown twice (01:30-01:59 local)."""
DFS_ZONES = {"dfs-lhi": "Australia/Lord_Howe", "dfs-ktm": "Asia/Kathmandu"}
CX_ACCOUNTS = ("alpha-cx", "zulu-cx")
WALL = "%Y-%m-%d %H:%M:%S"
PARTNER = "8d180104-0b34-4e55-907f-4a72409484c9"
DFS_STATUSES = ("sent", "delivered", "failed", "received", "queued", "undelivered", "pending")
CX_STATUSES = (
    "delivered",
    "failed",
    "internal_error",
    "queued",
    "received",
    "sending_failed",
    "sending_timed_out",
    "sent",
    "timed_out",
    "undelivered",
    "accepted",
)
_MESSAGES = ("hi", "your code is 4821", "see you at 3", "Привет 👋", "x" * 170, "reply STOP")


def _instants(rng: Random, count: int, shared: list[datetime], ms: bool) -> list[datetime]:
    """`count` creation instants in and just around the window, sorted, with tie groups."""
    span = (WINDOW_END - WINDOW_START).total_seconds()
    picked: list[datetime] = list(shared)
    while len(picked) < count:
        roll = rng.random()
        if roll < 0.04:
            at = WINDOW_START + timedelta(seconds=rng.uniform(-7200, 0))
        elif roll < 0.08:
            at = WINDOW_END + timedelta(seconds=rng.uniform(0, 7200))
        elif roll < 0.2:
            at = FOLD_START + timedelta(seconds=rng.uniform(0, 3600))
        else:
            at = WINDOW_START + timedelta(seconds=rng.uniform(0, span))
        at = at.replace(microsecond=rng.randrange(1000) * 1000 if ms else 0)
        picked += [at] * (rng.choice((2, 3, 4)) if rng.random() < 0.1 else 1)
    return sorted(picked[:count])


def shared_instants(seed: int = 1) -> list[datetime]:
    """Whole seconds at which every account holds a record: the account name decides."""
    rng = Random(seed)
    span = int((WINDOW_END - WINDOW_START).total_seconds())
    edges = [WINDOW_START, WINDOW_END - timedelta(seconds=1), FOLD_START + timedelta(minutes=45)]
    return edges + [WINDOW_START + timedelta(seconds=rng.randrange(span)) for _ in range(12)]


def _against_id_order(ids: list[str], instants: list[datetime]) -> list[str]:
    """Re-deal ids so that records sharing an instant are inserted in descending id order."""
    dealt = list(ids)
    start = 0
    while start < len(instants):
        stop = start
        while stop < len(instants) and instants[stop] == instants[start]:
            stop += 1
        dealt[start:stop] = sorted(dealt[start:stop], reverse=True)
        start = stop
    return dealt


def didforsale_rows(account: str, count: int, seed: int) -> list[dict[str, Any]]:
    """CDR rows in insertion order, dated in the account's zone, with undocumented extras."""
    rng = Random(seed)
    zone = ZoneInfo(DFS_ZONES[account])
    instants = _instants(rng, count, shared_instants(), ms=False)
    uuids = _against_id_order([str(rng.randrange(10**12, 10**13)) for _ in instants], instants)
    rows = []
    for index, (at, record_id) in enumerate(zip(instants, uuids, strict=True)):
        outbound = rng.random() < 0.6
        rows.append(
            {
                "sender": f"1{rng.randrange(10**9, 10**10)}",
                "reciever": f"1{rng.randrange(10**9, 10**10)}",
                "uuid": record_id,
                "message": rng.choice(_MESSAGES),
                "cost": round(rng.uniform(0, 0.05), 5),
                "status": rng.choice(DFS_STATUSES),
                "direction": "outbound" if outbound else "inbound",
                "date": at.astimezone(zone).strftime(WALL),
                "cdr_row": 9_000_000 + 17 * index,
                "campaign": None,
            }
        )
    return rows


def carrierx_records(account: str, count: int, seed: int) -> list[dict[str, Any]]:
    """Detail records in insertion order: every documented field, plus undocumented extras."""
    rng = Random(seed)
    instants = _instants(rng, count, shared_instants(), ms=True)
    sids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in instants]
    records = []
    for at, sid in zip(instants, _against_id_order(sids, instants), strict=True):
        mms = rng.random() < 0.2
        direction = rng.choice(("inbound", "outbound", "outbound", "undirected", None))
        status = rng.choice((*CX_STATUSES, None))
        sent = None if status in ("queued", "accepted") else at + timedelta(milliseconds=400)
        numbers = [f"1{rng.randrange(10**9, 10**10)}" for _ in range(3)]
        records.append(
            {
                "date_changed": cx_date(at + timedelta(seconds=2)),
                "date_insert": cx_date(at),
                "date_sent": cx_date(sent) if sent else None,
                "date_start": cx_date(at - timedelta(milliseconds=1)),
                "date_stop": cx_date(sent + timedelta(seconds=1)) if sent else None,
                "delay_sent": 0,
                "direction": direction,
                "dr_sid": sid,
                "mcc": 310,
                "mnc": rng.choice((260, 410, 999)),
                "mcc_mnc_price": "0.015",
                "mcc_mnc_rate": "0.005",
                "media_urls": [f"https://storage.example/f/{sid}"] if mms else [],
                "message": None if mms else rng.choice(_MESSAGES),
                "message_segments": 1 if mms else rng.randrange(1, 4),
                "number_billing": numbers[0],
                "number_dst": numbers[1],
                "number_external": numbers[1],
                "number_group_dst": numbers[1:] if mms else [],
                "number_src": numbers[0],
                "partner_sid": PARTNER,
                "passthrough_price": None,
                "passthrough_rate": None,
                "price": f"{rng.randrange(1, 400) / 10000:.4f}",
                "provider": "tsg",
                "rate": "0.005",
                "status": status,
                "type": "mms" if mms else "sms",
                "user_data": rng.choice((None, "campaign-7", "crm:lead/1")),
                "version": None,
                "region": "us-east-1",
                "billing": {"plan": "standard"},
            }
        )
    return records


def dfs_created(row: dict[str, Any], account: str) -> datetime:
    """The contract's reading of a DIDforSale `date`: the account's wall clock, as UTC; the
    first occurrence where the wall clock repeats (the value cannot say which)."""
    wall = datetime.strptime(row["date"], WALL)
    return wall.replace(tzinfo=ZoneInfo(DFS_ZONES[account]), fold=0).astimezone(UTC)


def cx_created(record: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(record["date_insert"])


def numbers_of(raw: dict[str, Any]) -> set[str]:
    """Every number a record involves, in E.164 with `+`, read from either provider's row."""
    plain = [raw.get(key) for key in ("sender", "reciever", "number_src", "number_dst")]
    group = raw.get("number_group_dst") or []
    return {f"+{number}" for number in [*plain, *group] if number}


def direction_of(raw: dict[str, Any]) -> str:
    """The schema's direction of a raw row: a documented value, else `undirected`."""
    return raw["direction"] if raw["direction"] in ("inbound", "outbound") else "undirected"


def status_of(raw: dict[str, Any]) -> str:
    """The schema's status of a raw row: a documented value (null is not), else `unknown`."""
    known = set(CX_STATUSES) - {"accepted"}
    return raw["status"] if raw["status"] in known else "unknown"
