"""A real redis-server on loopback for the tests: Debian's package, installed when missing."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

from .support.serving import unused_port

INSTALL = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "redis-server"]


def _install() -> str:
    """Installs Debian's redis-server (as root, or through sudo) and returns its path."""
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    done = subprocess.run([*prefix, *INSTALL], capture_output=True, text=True, env=env)
    if done.returncode != 0:
        subprocess.run([*prefix, "apt-get", "update", "-q"], capture_output=True, env=env)
        done = subprocess.run([*prefix, *INSTALL], capture_output=True, text=True, env=env)
    path = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None
    )
    if path is None:
        raise RuntimeError(
            "redis-server is missing and could not be installed with apt-get "
            f"(install Debian's redis-server package): {done.stderr.strip()[-400:]}"
        )
    return path


@contextmanager
def redis_server() -> Iterator[str]:
    """Starts a throwaway redis-server and yields its URL."""
    binary = shutil.which("redis-server") or _install()
    port = unused_port()
    with tempfile.TemporaryDirectory() as workdir:
        process = subprocess.Popen(
            [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                workdir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                        s.sendall(b"PING\r\n")
                        if s.recv(16).startswith(b"+PONG"):
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("redis-server did not start")
                time.sleep(0.1)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            process.terminate()
            process.wait(timeout=10)
