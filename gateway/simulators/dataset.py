"""Seeded, deterministic datasets for the provider simulators.

The same `(count, seed, now)` always yields the same records, so a failing walk can be replayed.
The generators plant the quirks an adapter has to survive: same-second (DIDforSale) and
same-millisecond (CarrierX) ties, non-contiguous row ids, `uuid` order unrelated to insertion
order, long and non-GSM messages, MMS and group messages, nullable fields.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from random import Random
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

DEFAULT_SEED = 7

CARRIERX_PARTNER_SID = "8d180104-0b34-4e55-907f-4a72409484c9"
"""The partner that owns every generated CarrierX record (the one in the seed sample)."""

DIDFORSALE_STATUSES = ("sent", "delivered", "failed", "received", "queued", "undelivered")
CARRIERX_STATUSES = (
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
)

_PHRASES = (
    "hello",
    "thanks",
    "ok great",
    "your order has shipped",
    "call me back please",
    "reminder: appointment confirmed for tomorrow",
    "your code is 4821",
    "reply STOP to opt out",
    "see you soon",
    "running late",
    "the package was delivered",
    "invoice due friday",
    "meeting at 3 pm",
)
_NON_GSM = ("😀", "👍", "🎉", "❤️", "你好", "Привет", "สวัสดี", "🚚", "✅")
_USER_DATA = ("campaign-42", "ticket #1184", "crm:lead/9921", "test_message", "batch 2024-07")
_CARRIERS = ("tsg", "bandwidth", "inteliquent", "peerless")
_MCC_MNC = ((310, 260), (310, 410), (311, 480), (312, 530), (302, 220), (310, 999))


@dataclass(frozen=True, slots=True)
class DidForSaleRow:
    """One DIDforSale CDR row: the provider's internal id and true instant, plus the wire fields."""

    row_id: int
    instant: datetime
    sender: str
    reciever: str
    uuid: str
    message: str
    cost: float
    status: str
    direction: str
    date: str

    def wire(self) -> dict[str, Any]:
        """The row as the API returns it: the eight documented fields, in the sample's order."""
        return {
            "sender": self.sender,
            "reciever": self.reciever,
            "uuid": self.uuid,
            "message": self.message,
            "cost": self.cost,
            "status": self.status,
            "direction": self.direction,
            "date": self.date,
        }


def local_date(instant: datetime, zone: ZoneInfo) -> str:
    """The naive wall-clock string DIDforSale stores for an instant in the account's zone."""
    return instant.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def iso_millis(instant: datetime) -> str:
    """CarrierX's date format: UTC, milliseconds, `Z`."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{instant.microsecond // 1000:03d}Z"
    )


def generate_didforsale_rows(
    count: int,
    seed: int,
    timezone: str = "UTC",
    now: datetime | None = None,
    days: int = 30,
) -> list[DidForSaleRow]:
    """Rows over the `days` before `now`, listed as the API lists them: by (`date`, row_id).

    Row ids grow with the true instant (the order rows were inserted) with random gaps. In a
    zone with a DST fall-back the API still sorts by the naive local `date`, so inside the
    repeated hour the listed order is not the row id order.
    """
    rng = Random(seed)
    zone = ZoneInfo(timezone)
    end = _whole_seconds(now)
    span = days * 86_400
    seconds: list[int] = []
    for _ in range(count):
        if seconds and rng.random() < 0.1:
            seconds.append(rng.choice(seconds))
        else:
            seconds.append(rng.randrange(span))
    seconds.sort()
    own = [f"1{rng.randrange(200, 999)}{rng.randrange(10**6, 10**7)}" for _ in range(4)]
    uuids: set[str] = set()
    row_id = rng.randrange(1_000, 5_000)
    rows = []
    for offset in seconds:
        row_id += rng.randint(1, 7)
        instant = end - timedelta(seconds=span - offset)
        rows.append(_didforsale_row(rng, row_id, instant, zone, own, uuids))
    rows.sort(key=lambda row: (row.date, row.row_id))
    return rows


def _didforsale_row(
    rng: Random,
    row_id: int,
    instant: datetime,
    zone: ZoneInfo,
    own: list[str],
    uuids: set[str],
) -> DidForSaleRow:
    uuid = str(rng.randrange(10**12, 10**13))
    while uuid in uuids:
        uuid = str(rng.randrange(10**12, 10**13))
    uuids.add(uuid)
    message = _message(rng)
    ours, theirs = rng.choice(own), _external_number(rng)
    if rng.random() < 0.3:
        direction, status, sender, reciever, rate = "inbound", "received", theirs, ours, 0.0035
    else:
        direction, sender, reciever = "outbound", ours, theirs
        status = rng.choices(
            ("delivered", "sent", "failed", "undelivered", "queued"), (55, 20, 8, 7, 5)
        )[0]
        rate = 0.0412 if not theirs.startswith("1") else rng.choice((0.0075, 0.0079))
    return DidForSaleRow(
        row_id=row_id,
        instant=instant,
        sender=sender,
        reciever=reciever,
        uuid=uuid,
        message=message,
        cost=round(rate * segments(message), 5),
        status=status,
        direction=direction,
        date=local_date(instant, zone),
    )


def generate_carrierx_records(
    count: int,
    seed: int,
    now: datetime | None = None,
    days: int = 30,
) -> list[dict[str, Any]]:
    """SMS Detail Records over the `days` before `now`, in insertion order.

    Insertion order is ascending `date_insert`; a few records share a millisecond and then
    keep the order they were inserted in. The first records cycle through every status and
    direction so that even a small dataset holds each of them.
    """
    rng = Random(seed)
    clock = _whole_seconds(now)
    end = clock - timedelta(minutes=1)
    span_ms = days * 86_400_000
    millis: list[int] = []
    for _ in range(count):
        if millis and rng.random() < 0.02:
            millis.append(rng.choice(millis))
        else:
            millis.append(rng.randrange(span_ms))
    order = sorted(range(count), key=lambda i: millis[i])
    own = [f"1{rng.randrange(200, 999)}{rng.randrange(10**6, 10**7)}" for _ in range(4)]
    records = [
        _carrierx_record(rng, index, end - timedelta(milliseconds=span_ms - ms), clock, own)
        for index, ms in enumerate(millis)
    ]
    return [records[i] for i in order]


def _carrierx_record(
    rng: Random, index: int, inserted: datetime, now: datetime, own: list[str]
) -> dict[str, Any]:
    direction, status = _carrierx_direction_and_status(rng, index)
    shape = rng.random()
    group = shape < 0.05 or index == len(CARRIERX_STATUSES) + 1
    media = 0.05 <= shape < 0.17 or index == len(CARRIERX_STATUSES) + 2
    ours, theirs = rng.choice(own), _external_number(rng)
    src, dst = (theirs, ours) if direction == "inbound" else (ours, theirs)
    group_dst = [_external_number(rng) for _ in range(rng.randint(1, 3))] + [dst] if group else []
    media_urls = (
        [f"https://storage.carrierx.com/f/{_uuid4(rng)}" for _ in range(rng.randint(1, 2))]
        if media
        else []
    )
    kind = "mms" if group or media else "sms"
    message = None if media and rng.random() < 0.5 else _message(rng)
    parts = 1 if kind == "mms" else segments(message or "")
    rate = Decimal("0.015") if kind == "mms" else Decimal(rng.choice(("0.004", "0.0045", "0.005")))
    if direction == "inbound":
        rate = Decimal("0.002")
    carrier_rate = rate if rng.random() < 0.7 else rate + Decimal("0.0025")
    passthrough = Decimal(rng.choice(("0.0025", "0.003"))) if rng.random() < 0.25 else None
    mcc, mnc = rng.choice(_MCC_MNC)
    sent, stop, changed, delay = _carrierx_times(rng, status, direction, inserted, now)
    return {
        "date_changed": iso_millis(changed),
        "date_insert": iso_millis(inserted),
        "date_sent": _iso_or_none(sent),
        "date_start": iso_millis(inserted - timedelta(milliseconds=rng.randint(0, 3))),
        "date_stop": _iso_or_none(stop),
        "delay_sent": delay,
        "direction": direction,
        "dr_sid": _uuid4(rng),
        "mcc": mcc,
        "mcc_mnc_price": _money(carrier_rate * parts),
        "mcc_mnc_rate": _money(carrier_rate),
        "media_urls": media_urls,
        "message": message,
        "message_segments": parts,
        "mnc": mnc,
        "number_billing": dst if direction == "inbound" else src,
        "number_dst": dst,
        "number_external": src if direction == "inbound" else dst,
        "number_group_dst": group_dst,
        "number_src": src,
        "partner_sid": CARRIERX_PARTNER_SID,
        "passthrough_price": None if passthrough is None else _money(passthrough * parts),
        "passthrough_rate": None if passthrough is None else _money(passthrough),
        "price": _money(rate * parts),
        "provider": rng.choice(_CARRIERS),
        "rate": _money(rate),
        "status": status,
        "type": kind,
        "user_data": rng.choice(_USER_DATA) if rng.random() < 0.15 else None,
        "version": rng.choice((1, 2)) if rng.random() < 0.3 else None,
    }


_OUTBOUND_STATUS_WEIGHTS = {
    "delivered": 50,
    "sent": 20,
    "failed": 8,
    "undelivered": 6,
    "queued": 4,
    "timed_out": 3,
    "sending_failed": 2,
    "sending_timed_out": 2,
    "internal_error": 1,
}


def _carrierx_direction_and_status(rng: Random, index: int) -> tuple[str, str]:
    """Random, except for the first records: one of each status, then an undirected one."""
    if index < len(CARRIERX_STATUSES):
        status = CARRIERX_STATUSES[index]
        return ("inbound" if status == "received" else "outbound"), status
    if index == len(CARRIERX_STATUSES):
        return "undirected", "failed"
    direction = rng.choices(("outbound", "inbound", "undirected"), (64, 35, 1))[0]
    if direction == "inbound":
        return direction, "received"
    if direction == "undirected":
        return direction, rng.choice(("failed", "internal_error", "received"))
    statuses, weights = zip(*_OUTBOUND_STATUS_WEIGHTS.items(), strict=True)
    return direction, rng.choices(statuses, weights)[0]


_UNSENT = frozenset({"queued", "internal_error", "sending_failed", "sending_timed_out"})


def _carrierx_times(
    rng: Random, status: str, direction: str, inserted: datetime, now: datetime
) -> tuple[datetime | None, datetime | None, datetime, int | None]:
    """(date_sent, date_stop, date_changed, delay_sent) consistent with the status; a message
    never sent has neither `date_sent` nor `delay_sent`."""
    sent: datetime | None = None
    stop: datetime | None = None
    delay: int | None = None
    if direction == "inbound" or status == "received":
        sent, stop, delay = inserted, inserted + timedelta(milliseconds=rng.randint(1, 40)), 0
    elif status not in _UNSENT:
        delay = 0 if rng.random() < 0.8 else rng.randint(1, 30)
        sent = inserted + timedelta(seconds=delay, milliseconds=rng.randint(100, 999))
        if status in ("sent", "timed_out"):
            stop = sent + timedelta(days=1, milliseconds=rng.randint(0, 999))
        else:
            stop = sent + timedelta(seconds=rng.randint(1, 30), milliseconds=rng.randint(0, 999))
    elif status != "queued":
        stop = inserted + timedelta(minutes=rng.randint(5, 60))
    stop = None if stop is None else min(stop, now)
    last = max(moment for moment in (inserted, sent, stop) if moment is not None)
    changed = min(last + timedelta(milliseconds=rng.randint(0, 80)), now)
    return sent, stop, changed, delay


def segments(message: str) -> int:
    """SMS segments: 160/153 for plain ASCII text (all generated ASCII is GSM-7 safe),
    70/67 UTF-16 units for anything else."""
    if all(ord(char) < 128 for char in message):
        single, multi, size = 160, 153, len(message)
    else:
        single, multi, size = 70, 67, len(message.encode("utf-16-le")) // 2
    return 1 if size <= single else math.ceil(size / multi)


def _message(rng: Random) -> str:
    length = rng.randint(8, 16) if rng.random() < 0.15 else rng.randint(1, 4)
    words = [rng.choice(_PHRASES) for _ in range(length)]
    if rng.random() < 0.15:
        words.insert(rng.randrange(len(words) + 1), rng.choice(_NON_GSM))
    text = " ".join(words)
    return text[0].upper() + text[1:] + rng.choice((".", "!", "?", ""))


def _external_number(rng: Random) -> str:
    if rng.random() < 0.05:
        return f"{rng.choice(('44', '91', '52'))}{rng.randrange(10**9, 10**10)}"
    return f"1{rng.randrange(200, 999)}{rng.randrange(10**6, 10**7)}"


def _uuid4(rng: Random) -> str:
    return str(UUID(int=rng.getrandbits(128), version=4))


def _money(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _iso_or_none(instant: datetime | None) -> str | None:
    return None if instant is None else iso_millis(instant)


def _whole_seconds(now: datetime | None) -> datetime:
    moment = datetime.now(UTC) if now is None else now.astimezone(UTC)
    return moment.replace(microsecond=0)
