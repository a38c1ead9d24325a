"""What both simulators share outside the provider API: a request counter and fault injection.

Tests use them to check how many upstream calls the gateway makes and how it copes with a
provider that throttles, fails or stalls. Everything lives under `/_simulator/`, needs no
credentials, and is neither counted nor faulted:

- `GET /_simulator/stats` → `{"requests": N, "recent": [...]}`: the provider API requests
  received so far, and the latest 1000 of them (method, path, query, JSON body).
- `POST /_simulator/faults` with `{"status": 429, "retry_after": 2, "delay": 0, "times": 1,
  "body": {...}}` (every key optional; `status: null` with a `delay` makes a slow reply)
  queues `times` faults; each answers one API request.
- `DELETE /_simulator/faults` drops the queued faults.

In-process tests can use the `STATS` and `FAULTS` app keys instead.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

CONTROL_PREFIX = "/_simulator/"
RECENT = 1000


@dataclass(slots=True)
class Stats:
    """Provider API requests received, whatever their outcome, and the latest of them."""

    requests: int = 0
    recent: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=RECENT))


@dataclass(frozen=True, slots=True)
class Fault:
    """One scripted misbehaviour.

    After `delay` seconds the request is answered with `status` (and `Retry-After` when set)
    and `body` as JSON; with `status=None` it is then served normally, which makes a slow
    provider.
    """

    status: int | None = 503
    retry_after: float | None = None
    delay: float = 0.0
    body: Any = None


class Faults:
    """A queue of faults; each API request takes the next one, if any."""

    def __init__(self) -> None:
        self._queue: deque[Fault] = deque()

    def inject(self, fault: Fault, times: int = 1) -> None:
        self._queue.extend([fault] * times)

    def clear(self) -> None:
        self._queue.clear()

    def take(self) -> Fault | None:
        return self._queue.popleft() if self._queue else None

    def __len__(self) -> int:
        return len(self._queue)


STATS = web.AppKey("simulator_stats", Stats)
FAULTS = web.AppKey("simulator_faults", Faults)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def _control_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith(CONTROL_PREFIX):
        return await handler(request)
    stats = request.app[STATS]
    stats.requests += 1
    stats.recent.append(
        {
            "method": request.method,
            "path": request.path,
            "query": dict(request.query),
            "body": await _json_or_text(request),
        }
    )
    fault = request.app[FAULTS].take()
    if fault is None:
        return await handler(request)
    if fault.delay:
        await asyncio.sleep(fault.delay)
    if fault.status is None:
        return await handler(request)
    headers = {} if fault.retry_after is None else {"Retry-After": f"{fault.retry_after:g}"}
    body = fault.body if fault.body is not None else {"message": "simulated fault"}
    return web.json_response(body, status=fault.status, headers=headers)


async def _json_or_text(request: web.Request) -> Any:
    """The request body for the log; a body that is not JSON is kept as text."""
    if not request.can_read_body:
        return None
    text = await request.text()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


async def _stats(request: web.Request) -> web.Response:
    stats = request.app[STATS]
    return web.json_response({"requests": stats.requests, "recent": list(stats.recent)})


async def _add_faults(request: web.Request) -> web.Response:
    try:
        spec = await request.json()
        times, fault = _parse_fault(spec)
    except (TypeError, ValueError) as exc:
        return web.json_response({"message": f"bad fault spec: {exc}"}, status=400)
    request.app[FAULTS].inject(fault, times)
    return web.json_response({"queued": len(request.app[FAULTS])})


_FAULT_KEYS = frozenset({"status", "retry_after", "delay", "times", "body"})


def _parse_fault(spec: Any) -> tuple[int, Fault]:
    """`times` and the fault of a JSON spec; TypeError or ValueError when malformed."""
    if not isinstance(spec, dict) or not _FAULT_KEYS.issuperset(spec):
        raise ValueError(f"expected an object with keys among {', '.join(sorted(_FAULT_KEYS))}")
    status = spec.get("status", 503)
    if status is not None and not (isinstance(status, int) and 200 <= status <= 599):
        raise ValueError("status must be an HTTP status or null")
    retry_after = spec.get("retry_after")
    fault = Fault(
        status=status,
        retry_after=None if retry_after is None else float(retry_after),
        delay=float(spec.get("delay", 0.0)),
        body=spec.get("body"),
    )
    return int(spec.get("times", 1)), fault


async def _clear_faults(request: web.Request) -> web.Response:
    request.app[FAULTS].clear()
    return web.json_response({"queued": 0})


def install_control(app: web.Application) -> None:
    """Add the counter, the fault queue and their routes to a simulator app."""
    app[STATS] = Stats()
    app[FAULTS] = Faults()
    app.middlewares.append(_control_middleware)
    app.router.add_get(CONTROL_PREFIX + "stats", _stats)
    app.router.add_post(CONTROL_PREFIX + "faults", _add_faults)
    app.router.add_delete(CONTROL_PREFIX + "faults", _clear_faults)
