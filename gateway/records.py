"""The provider-neutral SMS record and the filter over it.

Adapters turn each provider's rows into `SmsRecord`; everything above the adapters
(paging, the service, the schema) sees only these types. Nothing here knows GraphQL or HTTP.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any


class ProviderKind(enum.Enum):
    """The provider APIs the gateway can speak."""

    DIDFORSALE = "didforsale"
    CARRIERX = "carrierx"


class ProviderCapability(enum.Enum):
    """What an account can do beyond listing records; clients use it to grey out actions."""

    LIST_RECORDS = "list_records"
    GET_RECORD = "get_record"
    UPDATE_USER_DATA = "update_user_data"
    NATIVE_DESCENDING_ORDER = "native_descending_order"
    FILTER_PUSHDOWN = "filter_pushdown"
    MMS = "mms"


class Direction(enum.Enum):
    """Who sent the message, seen from the account."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"
    UNDIRECTED = "undirected"


class SmsStatus(enum.Enum):
    """Delivery status; `UNKNOWN` stands for any value a provider sends that we do not know."""

    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    RECEIVED = "received"
    TIMED_OUT = "timed_out"
    SENDING_FAILED = "sending_failed"
    SENDING_TIMED_OUT = "sending_timed_out"
    INTERNAL_ERROR = "internal_error"
    UNKNOWN = "unknown"


class MessageType(enum.Enum):
    """Plain text or multimedia."""

    SMS = "sms"
    MMS = "mms"


class Order(enum.Enum):
    """Direction of travel through records sorted by creation time."""

    ASC = "asc"
    DESC = "desc"

    @property
    def reverse(self) -> Order:
        return Order.DESC if self is Order.ASC else Order.ASC


MAX_USER_DATA_LENGTH = 2000
"""The most characters `userData` may hold (CarrierX's limit; no other provider stores it)."""

_E164 = re.compile(r"^\+[1-9]\d{1,14}$")


def is_e164(number: str) -> bool:
    """True for a number in E.164 form with its leading `+`."""
    return bool(_E164.match(number))


def to_e164(digits: object) -> str:
    """Providers send numbers with or without `+`; the schema always shows them with it."""
    text = str(digits or "").strip()
    if not text:
        return ""
    return text if text.startswith("+") else f"+{text}"


@dataclass(frozen=True, slots=True)
class SmsRecord:
    """One SMS/MMS detail record, as every provider's rows are mapped onto it."""

    provider: str
    kind: ProviderKind
    provider_record_id: str
    node_key: str  # what the account needs to find the record again; the global id holds it
    direction: Direction
    status: SmsStatus
    raw_status: str
    type: MessageType
    from_number: str
    to_number: str
    created_at: datetime
    raw: Mapping[str, Any]
    group_recipients: tuple[str, ...] = ()
    body: str | None = None
    media_urls: tuple[str, ...] = ()
    segments: int | None = None
    price: Decimal | None = None
    sent_at: datetime | None = None
    finished_at: datetime | None = None
    updated_at: datetime | None = None
    user_data: str | None = None
    mcc: str | None = None
    mnc: str | None = None
    carrier: str | None = None


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """Creation-time range of a walk: `start` inclusive, `end` exclusive, both UTC."""

    start: datetime
    end: datetime

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


@dataclass(frozen=True, slots=True)
class RecordFilter:
    """What a client asked to see; adapters push down what their API can apply."""

    created_after: datetime | None = None
    created_before: datetime | None = None
    providers: frozenset[str] | None = None
    direction: Direction | None = None
    statuses: frozenset[SmsStatus] | None = None
    type: MessageType | None = None
    number: str | None = None

    def matches(self, record: SmsRecord) -> bool:
        """The whole filter, applied in the gateway to whatever a provider could not narrow."""
        if self.created_after is not None and record.created_at < self.created_after:
            return False
        if self.created_before is not None and record.created_at >= self.created_before:
            return False
        if self.providers is not None and record.provider not in self.providers:
            return False
        if self.direction is not None and record.direction is not self.direction:
            return False
        if self.statuses is not None and record.status not in self.statuses:
            return False
        if self.type is not None and record.type is not self.type:
            return False
        if self.number is not None:
            numbers = {record.from_number, record.to_number, *record.group_recipients}
            if self.number not in numbers:
                return False
        return True

    def canonical(self) -> dict[str, Any]:
        """A stable, JSON-ready form, hashed into cursors so a cursor only serves its filter."""
        return {
            "ca": self.created_after.isoformat() if self.created_after else None,
            "cb": self.created_before.isoformat() if self.created_before else None,
            "p": sorted(self.providers) if self.providers is not None else None,
            "d": self.direction.value if self.direction else None,
            "s": sorted(s.value for s in self.statuses) if self.statuses is not None else None,
            "t": self.type.value if self.type else None,
            "n": self.number,
        }
