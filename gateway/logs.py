"""Log lines: one JSON object a line for machines (`serve`), or text for people (`demo`).

Every record goes through structlog's `ProcessorFormatter`, whether a module of the gateway
wrote it through `get_logger` with fields of its own or a library wrote it through `logging`
(aiohttp, the worker master), so every line has one shape: `timestamp`, `level`, `logger`,
`event`, the fields of the record, the request's context (`request_id`, `client`,
`operation`: bound with structlog's contextvars while the request is served, and inherited
by every task it starts), and `worker` when several processes serve one port.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import orjson
import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

LogFormat = Literal["json", "text"]

_HAND_OVER: list[Processor] = [
    structlog.stdlib.filter_by_level,
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
]
"""What a gateway logger does before `logging` takes the record: drop it below the level,
add the request's context while still in the request's task."""


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A structlog logger that hands its fields to the stdlib logger `name`, so they reach
    whichever handler `logging` has (the one `configure_logging` sets, a test's capture)."""
    return structlog.stdlib.BoundLogger(logging.getLogger(name), _HAND_OVER, {})


def configure_logging(log_format: LogFormat, worker: int | None = None) -> None:
    """Every record of this process to stderr, one line each, at level INFO and above;
    Python's warnings too, which would otherwise print lines of their own."""
    logging.captureWarnings(True)
    handler = logging.StreamHandler()
    handler.setFormatter(log_formatter(log_format, worker))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


def log_formatter(log_format: LogFormat, worker: int | None = None) -> logging.Formatter:
    """Renders any record, the gateway's or a library's, as one line in `log_format`."""
    stamps: list[Processor] = [
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    if worker is not None:
        stamps.append(_WorkerStamp(worker))
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.contextvars.merge_contextvars],
        processors=[
            *stamps,
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *_renderer(log_format),
        ],
    )


def _renderer(log_format: LogFormat) -> list[Processor]:
    if log_format == "json":
        return [
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(serializer=_json_line),
        ]
    return [structlog.dev.ConsoleRenderer(colors=False)]


def _json_line(event: EventDict, **options: Any) -> str:
    """orjson's encoding, a few times faster than the standard library's on every line; what
    it cannot encode is written as structlog's fallback gives it."""
    return orjson.dumps(event, default=options.get("default")).decode()


class _WorkerStamp:
    """Names the worker process that wrote a line, among several serving one port."""

    def __init__(self, number: int) -> None:
        self.number = number

    def __call__(self, logger: WrappedLogger, method_name: str, event: EventDict) -> EventDict:
        event["worker"] = self.number
        return event
