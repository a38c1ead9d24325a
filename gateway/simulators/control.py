"""What both simulators share outside the provider API: a request counter and fault injection.

Tests use them to check how many upstream calls the gateway makes and how it copes with a
provider that throttles, fails or stalls. Everything lives under `/_simulator/`, needs no
credentials, and is neither counted nor faulted:

- `GET /_simulator/stats` → `{"requests": N, "connections": C, "recent": [...]}`: the
  provider API requests received so far, the TCP connections they came over (so a client
  that keeps its connections alive shows few), and the latest 1000 requests (method, path,
  query, JSON body).
- `POST /_simulator/faults` with `{"kind": "reply", "status": 429, "retry_after": 2,
  "delay": 0, "times": 1, "body": {...}}` (every key optional) queues `times` faults; each
  answers one API request. Kinds: `reply` answers `status` with `body` as JSON (`status: null`
  serves the request normally, so with a `delay` it makes a slow or timed-out reply; DIDforSale's
  own failure is `status: 200` with a `{"status": false, ...}` body); `malformed` serves the
  request with the first half of its body only (JSON that ends too soon); `truncated` promises
  the whole body, sends half of it and hangs up; `drop` closes the connection unanswered.
  `status`, `body` and `retry_after` belong to `reply` alone.
- `DELETE /_simulator/faults` drops the queued faults.
- `POST /_simulator/chaos` with `{"rate": 0.2, "seed": 1, "stall": 1.0, "latency": 0.05}`
  delays every request by `latency` seconds and faults `rate` of them from then on, each
  with a fault drawn from a seeded generator among every kind above (500, 503, 429, a stall
  of `stall` seconds, malformed, truncated, dropped, and the provider's own failure reply
  where it has one); `rate: 0` stops it.

In-process tests can use the `STATS` and `FAULTS` app keys instead.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

CONTROL_PREFIX = "/_simulator/"
RECENT = 1000


@dataclass(slots=True)
class Stats:
    """Provider API requests received, whatever their outcome, the client ends of the
    connections they came over, and the latest of them."""

    requests: int = 0
    peers: set[str] = field(default_factory=set)
    recent: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=RECENT))


FAULT_KINDS = ("reply", "malformed", "truncated", "drop")


@dataclass(frozen=True, slots=True)
class Fault:
    """One scripted misbehaviour.

    After `delay` seconds: `reply` answers with `status` (and `Retry-After` when set) and
    `body` as JSON, or with `status=None` serves the request normally, which makes a slow
    provider; `malformed` serves the first half of the body as a whole reply; `truncated`
    declares the whole body, sends half and closes the connection; `drop` closes it
    unanswered.
    """

    status: int | None = 503
    retry_after: float | None = None
    delay: float = 0.0
    body: Any = None
    kind: str = "reply"


class Faults:
    """A queue of faults, each for one API request, then a seeded share of chaos, if any."""

    def __init__(self, provider_failure: Fault | None = None) -> None:
        self._queue: deque[Fault] = deque()
        self._provider_failure = provider_failure
        self._chaos_rate = 0.0
        self.latency = 0.0
        self._chaos: list[Fault] = []
        self._random = random.Random(0)

    def inject(self, fault: Fault, times: int = 1) -> None:
        self._queue.extend([fault] * times)

    def clear(self) -> None:
        self._queue.clear()

    def chaos(self, rate: float, seed: int = 0, stall: float = 1.0, latency: float = 0.0) -> None:
        """Delay every request by `latency`; fault `rate` of them, drawing from every kind.
        Raises ValueError for a rate outside 0..1 or a negative time."""
        if not 0.0 <= rate <= 1.0 or latency < 0 or stall < 0:
            raise ValueError("rate must be between 0 and 1, latency and stall not negative")
        self._chaos_rate = rate
        self.latency = latency
        self._random = random.Random(seed)
        self._chaos = [
            Fault(status=500),
            Fault(status=503),
            Fault(status=429, retry_after=0),
            Fault(status=None, delay=stall),
            Fault(kind="malformed"),
            Fault(kind="truncated"),
            Fault(kind="drop"),
        ]
        if self._provider_failure is not None:
            self._chaos.append(self._provider_failure)

    def take(self) -> Fault | None:
        if self._queue:
            return self._queue.popleft()
        if self._chaos_rate and self._random.random() < self._chaos_rate:
            return self._random.choice(self._chaos)
        return None

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
    stats.peers.add(_peer(request))
    stats.recent.append(
        {
            "method": request.method,
            "path": request.path,
            "query": dict(request.query),
            "body": await _json_or_text(request),
        }
    )
    faults = request.app[FAULTS]
    if faults.latency:
        await asyncio.sleep(faults.latency)
    fault = faults.take()
    if fault is None:
        return await handler(request)
    if fault.delay:
        await asyncio.sleep(fault.delay)
    return await _misbehave(fault, request, handler)


def _peer(request: web.Request) -> str:
    """The client's address and port: one per TCP connection while it is open, and not
    handed to another connection soon after, so distinct ones count connections."""
    transport = request.transport
    peer = transport.get_extra_info("peername") if transport is not None else None
    return f"{peer[0]}:{peer[1]}" if peer else "?"


async def _misbehave(fault: Fault, request: web.Request, handler: Handler) -> web.StreamResponse:
    if fault.kind == "drop":
        if request.transport is not None:
            request.transport.abort()
        return web.Response()
    if fault.kind in ("malformed", "truncated"):
        return await _cut_short(fault.kind, request, await handler(request))
    if fault.status is None:
        return await handler(request)
    headers = {} if fault.retry_after is None else {"Retry-After": f"{fault.retry_after:g}"}
    body = fault.body if fault.body is not None else {"message": "simulated fault"}
    return web.json_response(body, status=fault.status, headers=headers)


async def _cut_short(
    kind: str, request: web.Request, served: web.StreamResponse
) -> web.StreamResponse:
    """The served body cut in half: `malformed` sends the half as a whole reply (JSON that
    ends too soon), `truncated` promises the whole length, sends half and hangs up."""
    body = served.body if isinstance(served, web.Response) else None
    whole = body if isinstance(body, bytes) else b"{}"
    half = whole[: len(whole) // 2]
    if kind == "malformed":
        return web.Response(body=half, status=served.status, content_type="application/json")
    response = web.StreamResponse(status=served.status)
    response.content_type = "application/json"
    response.content_length = len(whole)
    await response.prepare(request)
    await response.write(half)
    if request.transport is not None:
        request.transport.close()
    return response


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
    return web.json_response(
        {"requests": stats.requests, "connections": len(stats.peers), "recent": list(stats.recent)}
    )


async def _add_faults(request: web.Request) -> web.Response:
    try:
        spec = await request.json()
        times, fault = _parse_fault(spec)
    except (TypeError, ValueError) as exc:
        return web.json_response({"message": f"bad fault spec: {exc}"}, status=400)
    request.app[FAULTS].inject(fault, times)
    return web.json_response({"queued": len(request.app[FAULTS])})


_FAULT_KEYS = frozenset({"kind", "status", "retry_after", "delay", "times", "body"})


def _parse_fault(spec: Any) -> tuple[int, Fault]:
    """`times` and the fault of a JSON spec; TypeError or ValueError when malformed."""
    if not isinstance(spec, dict) or not _FAULT_KEYS.issuperset(spec):
        raise ValueError(f"expected an object with keys among {', '.join(sorted(_FAULT_KEYS))}")
    status = spec.get("status", 503)
    if status is not None and not (isinstance(status, int) and 200 <= status <= 599):
        raise ValueError("status must be an HTTP status or null")
    kind = spec.get("kind", "reply")
    if kind not in FAULT_KINDS:
        raise ValueError(f"kind must be one of {', '.join(FAULT_KINDS)}")
    retry_after = spec.get("retry_after")
    fault = Fault(
        status=status,
        retry_after=None if retry_after is None else float(retry_after),
        delay=float(spec.get("delay", 0.0)),
        body=spec.get("body"),
        kind=kind,
    )
    return int(spec.get("times", 1)), fault


async def _clear_faults(request: web.Request) -> web.Response:
    request.app[FAULTS].clear()
    return web.json_response({"queued": 0})


async def _set_chaos(request: web.Request) -> web.Response:
    try:
        spec = await request.json()
        if not isinstance(spec, dict) or not _CHAOS_KEYS.issuperset(spec):
            raise ValueError(f"expected an object with keys among {', '.join(sorted(_CHAOS_KEYS))}")
        rate, latency = float(spec.get("rate", 0.0)), float(spec.get("latency", 0.0))
        seed, stall = int(spec.get("seed", 0)), float(spec.get("stall", 1.0))
        request.app[FAULTS].chaos(rate, seed, stall, latency)
    except (TypeError, ValueError) as exc:
        return web.json_response({"message": f"bad chaos spec: {exc}"}, status=400)
    return web.json_response({"rate": rate, "seed": seed, "stall": stall, "latency": latency})


_CHAOS_KEYS = frozenset({"rate", "seed", "stall", "latency"})


def install_control(app: web.Application, provider_failure: Fault | None = None) -> None:
    """Add the counter, the fault queue and their routes to a simulator app;
    `provider_failure` is the provider's own way of failing, for chaos to use too."""
    app[STATS] = Stats()
    app[FAULTS] = Faults(provider_failure)
    app.middlewares.append(_control_middleware)
    app.router.add_get(CONTROL_PREFIX + "stats", _stats)
    app.router.add_post(CONTROL_PREFIX + "faults", _add_faults)
    app.router.add_delete(CONTROL_PREFIX + "faults", _clear_faults)
    app.router.add_post(CONTROL_PREFIX + "chaos", _set_chaos)
