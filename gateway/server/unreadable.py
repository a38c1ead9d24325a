"""A request aiohttp cannot read as HTTP (a request line longer than `max_line_size`, a
header over its size, a malformed line) never reaches the application: aiohttp answers it
with a plain-text 400 and closes the connection, and logs it at level ERROR with a
traceback whose message quotes part of the line. That is the client's mistake, not the
gateway's, and the line may hold a document's text: such a record becomes a warning that
names the kind of mistake only."""

from __future__ import annotations

import logging

from aiohttp.http_exceptions import BadHttpMessage


class ClientMistakes(logging.Filter):
    """Turns aiohttp's record of an unreadable request into a one-line warning."""

    def filter(self, record: logging.LogRecord) -> bool:
        mistake = record.exc_info[1] if record.exc_info else None
        if isinstance(mistake, BadHttpMessage):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg = "unreadable HTTP request from %s answered 400: %s"
            record.args = (*(record.args or ()), type(mistake).__name__)
            record.exc_info, record.exc_text = None, None
        return True


CLIENT_MISTAKES = ClientMistakes()


def log_client_mistakes_as_warnings() -> None:
    """Installs the filter on aiohttp's server logger (once, however often it is called)."""
    logging.getLogger("aiohttp.server").addFilter(CLIENT_MISTAKES)
