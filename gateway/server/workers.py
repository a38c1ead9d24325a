"""Several worker processes serving one port, kept by a master process.

Each worker is a whole gateway: it builds its own application from the same settings (so
cursors signed with the shared secret work on every worker, and a Redis page cache is
shared) and listens with SO_REUSEPORT, so that the kernel spreads new connections among
the workers. The master holds no event loop and serves nothing: it reserves the port,
starts the workers, prints the URL once every one listens, and then waits.

Workers are started with multiprocessing's "spawn" method: each is a fresh interpreter, so
it inherits no event loop, thread, lock or open connection of the master's, and behaves
the same on every platform. Starting one costs an interpreter's start-up, once.

- SIGTERM or Ctrl-C to the master stops every worker as SIGTERM stops a single gateway
  (no new connections; requests in flight finish within `shutdown_grace_seconds`), and the
  master exits 0 once they all have. Workers ignore Ctrl-C themselves, so a terminal's
  signal to the whole group stops them once, through the master.
- A worker that dies after it has listened (killed, out of memory, a crash) is logged with
  its exit status and replaced by a new one under the same number, so the port keeps its
  capacity. A worker that dies before it listens stops the whole server with status 1:
  whatever kept it from starting would keep its replacements from starting too.
- A worker whose master has gone (killed with SIGKILL, say) stops by itself.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import socket
import sys
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from types import FrameType

from gateway.config import Settings
from gateway.logs import configure_logging
from gateway.server.app import announce_access, create_app
from gateway.server.running import cannot_listen, listen, run, until_stopped

log = logging.getLogger(__name__)

STOP_MARGIN_SECONDS = 10.0
"""How much longer than the grace the master waits for a stopping worker before it kills it."""


def reuse_port_supported() -> bool:
    return hasattr(socket, "SO_REUSEPORT")


def serve_workers(settings: Settings, host: str, port: int, count: int) -> int:
    """Runs `count` workers on host:port until SIGTERM or Ctrl-C; returns the exit status."""
    try:
        reserved = _reserve(host, port)
    except OSError as exc:
        print(cannot_listen(host, port, exc), file=sys.stderr)
        return 1
    with reserved:
        return _Master(settings, host, reserved.getsockname()[1], count).run()


def _reserve(host: str, port: int) -> socket.socket:
    """A socket bound to host:port with SO_REUSEPORT but not listening: it fixes the port
    (the system's choice for 0) for the workers to bind, and keeps it while one is
    replaced. Connections only go to listening sockets, so it takes none."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    reserved = socket.socket(family, kind, proto)
    try:
        reserved.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        reserved.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        reserved.bind(address)
    except OSError:
        reserved.close()
        raise
    return reserved


@dataclass
class _Worker:
    number: int
    process: BaseProcess
    link: Connection
    """The master's end of a pipe: the worker sends its pid on it once it listens; when the
    master dies, the worker sees the pipe close."""
    listening: bool = False

    @property
    def name(self) -> str:
        return f"worker {self.number} (pid {self.process.pid})"


class _Master:
    def __init__(self, settings: Settings, host: str, port: int, count: int) -> None:
        self._settings = settings
        self._host = host
        self._port = port
        self._count = count
        self._spawn = multiprocessing.get_context("spawn")
        self._workers: dict[int, _Worker] = {}
        self._stop_signal: int | None = None

    def run(self) -> int:
        wakeup, alarm = socket.socketpair()
        with wakeup, alarm:
            alarm.setblocking(False)
            signal.set_wakeup_fd(alarm.fileno())
            previous = {
                signum: signal.signal(signum, self._stop_requested)
                for signum in (signal.SIGINT, signal.SIGTERM)
            }
            try:
                return self._supervise(wakeup)
            finally:
                for signum, handler in previous.items():
                    signal.signal(signum, handler)
                signal.set_wakeup_fd(-1)
                for worker in self._workers.values():
                    worker.link.close()

    def _stop_requested(self, signum: int, frame: FrameType | None) -> None:
        self._stop_signal = signum

    def _supervise(self, wakeup: socket.socket) -> int:
        for number in range(1, self._count + 1):
            self._start(number)
        announced = False
        while self._stop_signal is None:
            waiting: list[Connection | socket.socket | int] = [wakeup]
            for worker in self._workers.values():
                waiting.append(worker.process.sentinel)
                if not worker.listening:
                    waiting.append(worker.link)
            wait(waiting)
            _drain(wakeup)
            if self._stop_signal is not None:
                break
            if not self._tend():
                self._stop_all()
                return 1
            if not announced and all(w.listening for w in self._workers.values()):
                url = f"http://{self._host}:{self._port}/graphql"
                print(f"sms-gateway: GraphQL on {url}", flush=True)
                log.info("%d workers listening", self._count)
                announced = True
        name = signal.Signals(self._stop_signal).name
        log.info("%s: stopping %d workers", name, len(self._workers))
        return self._stop_all()

    def _start(self, number: int) -> None:
        mine, theirs = self._spawn.Pipe()
        process = self._spawn.Process(
            target=_worker_main,
            args=(self._settings, self._host, self._port, number, theirs),
            name=f"sms-gateway worker {number}",
        )
        # Ignored now, Ctrl-C stays ignored in the new interpreter until the worker sets
        # its own handlers, so a terminal's Ctrl-C reaches the workers only as the master's
        # SIGTERM.
        handler = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            process.start()
        finally:
            signal.signal(signal.SIGINT, handler)
        theirs.close()
        self._workers[number] = _Worker(number, process, mine)

    def _tend(self) -> bool:
        """Notes the workers that now listen and replaces those that died after they did;
        False when one died before it ever listened."""
        for number, worker in list(self._workers.items()):
            if not worker.listening and worker.link.poll():
                try:
                    worker.link.recv()
                except EOFError:
                    pass  # it died: its sentinel says so
                else:
                    worker.listening = True
                    log.info("%s listening on port %d", worker.name, self._port)
            if worker.process.exitcode is None:
                continue
            worker.link.close()
            if not worker.listening:
                log.error(
                    "%s stopped before it listened (%s): stopping",
                    worker.name,
                    _status(worker.process.exitcode),
                )
                del self._workers[number]
                return False
            log.error(
                "%s died (%s); starting another", worker.name, _status(worker.process.exitcode)
            )
            self._start(number)
        return True

    def _stop_all(self) -> int:
        """SIGTERM to every worker, then waits for each; 0 when all stopped cleanly."""
        for worker in self._workers.values():
            if worker.process.exitcode is None:
                worker.process.terminate()
        patience = self._settings.server.shutdown_grace_seconds + STOP_MARGIN_SECONDS
        status = 0
        for worker in self._workers.values():
            worker.process.join(patience)
            if worker.process.exitcode is None:
                log.error("%s did not stop within %gs: killed", worker.name, patience)
                worker.process.kill()
                worker.process.join()
                status = 1
            elif worker.process.exitcode != 0 and worker.listening:
                log.error("%s stopped with %s", worker.name, _status(worker.process.exitcode))
                status = 1
        return status


def _drain(wakeup: socket.socket) -> None:
    wakeup.setblocking(False)
    try:
        while wakeup.recv(512):
            pass
    except BlockingIOError:
        pass


def _status(exitcode: int) -> str:
    if exitcode < 0:
        return f"killed by {signal.Signals(-exitcode).name}"
    return f"exit status {exitcode}"


def _worker_main(settings: Settings, host: str, port: int, number: int, link: Connection) -> None:
    """A worker process: a whole gateway on the shared port, until SIGTERM or its master
    goes."""
    configure_logging(settings.server.log_format, number)
    status = run(_serve_as_worker(settings, host, port, number, link), host, port)
    sys.exit(status)


async def _serve_as_worker(
    settings: Settings, host: str, port: int, number: int, link: Connection
) -> None:
    app = await create_app(settings, worker=number)
    runner = await listen(app, host, port, settings.server.shutdown_grace_seconds, reuse_port=True)
    try:
        if number == 1:
            announce_access(app)
        try:
            link.send(os.getpid())
        except BrokenPipeError:
            log.warning("the master has gone: stopping")
            return
        await until_stopped([signal.SIGTERM], gone=link)
    finally:
        await runner.cleanup()
