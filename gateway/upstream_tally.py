"""The upstream calls made for the request being served, for its log line.

The server starts a tally for each request; the HTTP client notes every call it sends to a
provider account. Every task a request starts inherits the tally, so the calls made on its
behalf count for it; a page load that several requests wait for counts for the one that
started it."""

from __future__ import annotations

from contextvars import ContextVar

_TALLY: ContextVar[list[str] | None] = ContextVar("upstream_tally", default=None)


def start_tally() -> list[str]:
    """A new tally for the current request: the account of each call, in the order sent."""
    calls: list[str] = []
    _TALLY.set(calls)
    return calls


def note_upstream_call(account: str) -> None:
    """Counts a call to `account` for the request being served, if any."""
    calls = _TALLY.get()
    if calls is not None:
        calls.append(account)
