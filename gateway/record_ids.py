"""The inside of an SMS record's global id: `<account>:<the account's key>`.

This is the only place that writes or reads that form. The schema wraps it as a Relay id
(base64 of `SmsRecord:<inside>`); the service splits it to find the account; what the key
looks like is the account's adapter's business.
"""

from __future__ import annotations

from gateway.errors import MalformedRecordId
from gateway.records import SmsRecord

_SEPARATOR = ":"

NOT_A_RECORD = "The id does not name an SMS record."
"""The message for an id that no account could have produced."""


def record_node_id(record: SmsRecord) -> str:
    """The inside of a record's global id: its account and what the account needs to find it."""
    return f"{record.provider}{_SEPARATOR}{record.node_key}"


def has_record_form(node_id: str) -> bool:
    """Whether a global id's inside is shaped like a record's at all, so the schema can turn
    away ids of other kinds at once; `split_record_node_id` checks both parts."""
    return _SEPARATOR in node_id


def split_record_node_id(node_id: str) -> tuple[str, str]:
    """`account:key` → (account, key); raises `MalformedRecordId` when either is missing."""
    account, separator, key = node_id.partition(_SEPARATOR)
    if not separator or not account or not key:
        raise MalformedRecordId(NOT_A_RECORD)
    return account, key
