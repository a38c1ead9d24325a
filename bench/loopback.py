"""What the process benchmarks start on loopback, each as its own process: provider simulators
(`sms-gateway simulate`), the gateway (`sms-gateway serve` over a generated config), and
the gateway's resident memory sampled from outside.

A process benchmark measures the gateway as it is deployed, so the gateway runs alone in its
process: the load generator, the simulators and the benchmark itself never share its CPU
time or its memory figures."""

from __future__ import annotations

import json
import os
import platform
import select
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import psutil
import tomli_w

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gateway.simulators.runner import (
    CARRIERX_BASE_PATH,
    DEMO_CARRIERX_TOKEN,
    DEMO_DIDFORSALE_API_KEY,
    DEMO_DIDFORSALE_TOKEN,
    DIDFORSALE_BASE_PATH,
)
from tests.support.serving import unused_port

CLI = str(Path(sys.executable).with_name("sms-gateway"))
SECRET = "bench-cursor-secret-0123456789"
DFS_ZONE = "America/Chicago"
STARTUP_SECONDS = 120.0
"""A simulator generates its whole dataset before it listens: 50,000 records take a while
on a busy machine."""


@dataclass
class Running:
    """A started process, the line it printed once ready, and the file its stderr goes to."""

    process: subprocess.Popen[str]
    banner: str
    log: IO[str]

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        """SIGTERM, as an operator stops it, then a kill if it does not stop in time."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def start(command: Sequence[str], ready: str, *, env: Mapping[str, str] | None = None) -> Running:
    """Starts `command` and waits for a stdout line holding `ready`; the tail of its stderr
    is shown when it dies or never gets ready."""
    log = tempfile.TemporaryFile("w+")  # noqa: SIM115 (closed by Running.stop)
    process = subprocess.Popen(
        list(command),
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env={**os.environ, **(env or {})},
    )
    running = Running(process, "", log)
    assert process.stdout is not None
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        readable, _, _ = select.select([process.stdout], [], [], 0.5)
        if readable:
            line = process.stdout.readline()
            if ready in line:
                running.banner = line.strip()
                threading.Thread(target=_drain, args=(process.stdout,), daemon=True).start()
                return running
    log.seek(0)
    tail = log.read()[-2000:]
    running.stop()
    raise RuntimeError(f"{command[0]} did not get ready: {tail}")


def _drain(stream: IO[str]) -> None:
    """Reads a process's stdout to its end, so that the process never blocks on a full pipe."""
    for _ in stream:
        pass


@dataclass
class Simulator:
    """One provider simulator process: its site root and the provider base URL."""

    kind: str
    root: str
    running: Running

    @property
    def base_url(self) -> str:
        return self.root + (CARRIERX_BASE_PATH if self.kind == "carrierx" else DIDFORSALE_BASE_PATH)

    def provider_entry(self, name: str) -> dict[str, Any]:
        """The account's `[[providers]]` block in the gateway's config."""
        if self.kind == "carrierx":
            return {
                "name": name,
                "kind": "carrierx",
                "base_url": self.base_url,
                "token": DEMO_CARRIERX_TOKEN,
            }
        return {
            "name": name,
            "kind": "didforsale",
            "base_url": self.base_url,
            "api_key": DEMO_DIDFORSALE_API_KEY,
            "token": DEMO_DIDFORSALE_TOKEN,
            "timezone": DFS_ZONE,
        }

    def set_latency(self, seconds: float) -> None:
        """Every reply from now on waits `seconds` first, and none is faulted."""
        post_json(self.root + "/_simulator/chaos", {"latency": seconds, "rate": 0})

    def requests_served(self) -> int:
        with urllib.request.urlopen(self.root + "/_simulator/stats") as reply:
            return int(json.load(reply)["requests"])


@contextmanager
def simulator(kind: str, records: int, seed: int) -> Iterator[Simulator]:
    """`sms-gateway simulate KIND` on a free loopback port, stopped on exit."""
    port = unused_port()
    command = [CLI, "simulate", kind, "--port", str(port), "--records", str(records)]
    command += ["--seed", str(seed), "--timezone", DFS_ZONE if kind == "didforsale" else "UTC"]
    running = start(command, "simulator:")
    try:
        yield Simulator(kind, f"http://127.0.0.1:{port}", running)
    finally:
        running.stop()


@dataclass
class Gateway:
    """The gateway process: its GraphQL URL and the process whose memory is its own."""

    url: str
    running: Running

    def rss(self) -> int:
        """Resident bytes of the gateway and any worker processes it started."""
        return rss_bytes(self.running.pid)


def gateway_config(
    providers: Sequence[Mapping[str, Any]],
    *,
    cache_ttl: float | None = None,
    server: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A config over `providers`; the page cache at its default unless `cache_ttl` is given."""
    config: dict[str, Any] = {
        "server": {"graphiql": False, **(server or {})},
        "security": {"cursor_secret": SECRET},
        "providers": [dict(p) for p in providers],
    }
    if cache_ttl is not None:
        config["cache"] = {"ttl_seconds": cache_ttl}
    return config


@contextmanager
def gateway(config: Mapping[str, Any], *, workers: int = 1) -> Iterator[Gateway]:
    """`sms-gateway serve` over `config` on a free loopback port; `--workers` is passed only
    for more than one, so the benchmark also runs on a gateway without that option."""
    with tempfile.TemporaryDirectory(prefix="bench-gateway-") as folder:
        path = Path(folder) / "gateway.toml"
        path.write_text(tomli_w.dumps(dict(config)))
        port = unused_port()
        command = [CLI, "serve", "--config", str(path), "--host", "127.0.0.1", "--port", str(port)]
        if workers > 1:
            command += ["--workers", str(workers)]
        running = start(command, "GraphQL on")
        try:
            yield Gateway(f"http://127.0.0.1:{port}/graphql", running)
        finally:
            running.stop()


def rss_bytes(pid: int) -> int:
    """Resident bytes of a process and its children."""
    process = psutil.Process(pid)
    total = process.memory_info().rss
    for child in process.children(recursive=True):
        try:
            total += child.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


@dataclass
class RssSampler:
    """A process's resident memory, sampled every `interval` seconds in a thread."""

    pid: int
    interval: float = 0.5
    samples: list[tuple[float, int]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def __enter__(self) -> RssSampler:
        self._started = time.monotonic()
        self._sample()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def _sample(self) -> None:
        self.samples.append((time.monotonic() - self._started, rss_bytes(self.pid)))

    @property
    def first(self) -> int:
        return self.samples[0][1]

    @property
    def last(self) -> int:
        return self.samples[-1][1]

    @property
    def peak(self) -> int:
        return max(rss for _, rss in self.samples)


def machine() -> str:
    """The machine a run measured: its cores, processor, Python, and how busy it was."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown processor",
    )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}; "
        f"load average {load} at the start"
    )


def mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB"


def post_json(url: str, body: Any, headers: Mapping[str, str] | None = None) -> Any:
    """One JSON POST, its JSON reply (the standard library: a check, not a measurement)."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    with urllib.request.urlopen(request, timeout=60) as reply:
        return json.load(reply)
