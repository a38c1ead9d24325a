"""Relay global ids of SMS records: base64 of `SmsRecord:<inside>`; the inside's own form
belongs to `gateway.record_ids`."""

from __future__ import annotations

from strawberry.relay import GlobalID, GlobalIDValueError

from gateway.errors import MalformedRecordId
from gateway.record_ids import has_record_form

RECORD_TYPE = "SmsRecord"


def decode_record_id(value: str) -> str:
    """The inside of a record's global id; raises `MalformedRecordId` for anything else."""
    try:
        global_id = GlobalID.from_id(value)
    except GlobalIDValueError:
        raise MalformedRecordId(f"{value!r} is not an SMS record id.") from None
    if global_id.type_name != RECORD_TYPE or not has_record_form(global_id.node_id):
        raise MalformedRecordId(f"{value!r} is not an SMS record id.")
    return global_id.node_id
