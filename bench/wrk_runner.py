"""Closed-loop HTTP load from Debian's `wrk`, a C load generator that costs little CPU (the
machine's cores are shared by the generator, the gateway and the simulators, so a Python
generator would take the time it measures). Installed with apt-get when missing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.debian import debian_binary

LUA = Path(__file__).resolve().parent / "lua"


def wrk_binary() -> str:
    """wrk's path, installing Debian's package when missing."""
    return debian_binary("wrk", "wrk")


@dataclass(frozen=True)
class Load:
    """One closed-loop run: replies, seconds, latency percentiles, and what went wrong."""

    connections: int
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    bad: int
    """Replies that were not HTTP 200, or carried GraphQL errors."""
    socket_errors: dict[str, int]
    """Connections refused (`connect`), broken while reading or writing (`read`, `write`),
    and requests with no reply within the timeout (`timeout`)."""
    counts: dict[str, int] = field(default_factory=dict)
    """What else the script counted (requests of each kind sent, say)."""
    bad_samples: list[str] = field(default_factory=list)
    """The start of the first bad replies, when the script shows them."""

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def errors(self) -> int:
        return self.bad + sum(self.socket_errors.values())


def run_wrk(
    url: str,
    script: str,
    *,
    connections: int,
    seconds: float,
    env: Mapping[str, str],
    threads: int = 1,
    timeout: float = 30.0,
) -> Load:
    """`wrk` with a script of `bench/lua/` at `connections` at once for `seconds`."""
    command = [
        wrk_binary(),
        f"--threads={min(threads, connections)}",
        f"--connections={connections}",
        f"--duration={max(1, round(seconds))}s",
        f"--timeout={max(1, round(timeout))}s",
        f"--script={LUA / script}",
        url,
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, env={**os.environ, **env}, check=False
    )
    for line in done.stdout.splitlines():
        if line.startswith("WRK_RESULT "):
            result: dict[str, Any] = json.loads(line.removeprefix("WRK_RESULT "))
            break
    else:
        raise RuntimeError(f"wrk gave no result: {done.stdout[-1000:]} {done.stderr[-1000:]}")
    return Load(
        connections=connections,
        requests=result["requests"],
        seconds=result["micros"] / 1e6,
        p50_ms=result["p50"] / 1000,
        p99_ms=result["p99"] / 1000,
        max_ms=result["max"] / 1000,
        bad=result["bad"],
        socket_errors={k: result.pop(k) for k in ("connect", "read", "write", "timeout")},
        counts={k: v for k, v in result.items() if k not in _FIGURES},
        bad_samples=[line for line in done.stdout.splitlines() if line.startswith("WRK_BAD ")],
    )


_FIGURES = {"requests", "micros", "p50", "p99", "max", "bad"}


def post_load(url: str, body: Mapping[str, Any], *, connections: int, seconds: float) -> Load:
    """The same GraphQL request POSTed over and over (`bench/lua/request.lua`)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json") as file:
        json.dump(body, file)
        file.flush()
        return run_wrk(
            url,
            "request.lua",
            connections=connections,
            seconds=seconds,
            env={"WRK_BODY": file.name},
        )


def get_load(url: str, authorization: str, *, connections: int, seconds: float) -> Load:
    """The same GET over and over, with an Authorization header (`bench/lua/request.lua`)."""
    return run_wrk(
        url,
        "request.lua",
        connections=connections,
        seconds=seconds,
        env={"WRK_AUTHORIZATION": authorization},
    )
