"""The id of the request being served, for its response header, its errors and its log lines.

Set once per request by the server; read anywhere below it without being passed along, since
every task a request starts inherits it."""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

_CURRENT: ContextVar[str | None] = ContextVar("request_id", default=None)
_WELL_FORMED = re.compile(r"[A-Za-z0-9._-]{1,64}")


def adopt_request_id(sent: str | None) -> str:
    """The client's own id when it is well formed, else a new one; it becomes current."""
    request_id = sent if sent is not None and _WELL_FORMED.fullmatch(sent) else uuid.uuid4().hex
    _CURRENT.set(request_id)
    return request_id


def current_request_id() -> str | None:
    return _CURRENT.get()


class RequestIdFilter(logging.Filter):
    """Gives every log record a `request_id` attribute ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _CURRENT.get() or "-"
        return True
