"""The id of the request being served, for its response header, its errors and its log lines.

Set once per request by the server, in structlog's context, so that every log line of the
request carries it; read anywhere below it without being passed along, since every task a
request starts inherits it."""

from __future__ import annotations

import re
import uuid

import structlog

_WELL_FORMED = re.compile(r"[A-Za-z0-9._-]{1,64}")


def adopt_request_id(sent: str | None) -> str:
    """The client's own id when it is well formed, else a new one; it becomes current."""
    request_id = sent if sent is not None and _WELL_FORMED.fullmatch(sent) else uuid.uuid4().hex
    structlog.contextvars.bind_contextvars(request_id=request_id)
    return request_id


def current_request_id() -> str | None:
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    return request_id if isinstance(request_id, str) else None
