"""Programs from Debian's packages that the tests and benchmarks start (redis-server, wrk):
found on the path, else installed with apt-get (as root, or through sudo), so that a fresh
machine or CI needs nothing installed by hand."""

from __future__ import annotations

import os
import shutil
import subprocess


def _found(binary: str) -> str | None:
    candidate = f"/usr/bin/{binary}"
    return shutil.which(binary) or (candidate if os.path.exists(candidate) else None)


def debian_binary(binary: str, package: str) -> str:
    """The path of `binary`, installing Debian's `package` first when it is missing."""
    found = _found(binary)
    if found is not None:
        return found
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    install = [*prefix, "apt-get", "install", "-y", "-q", "--no-install-recommends", package]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    done = subprocess.run(install, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        subprocess.run([*prefix, "apt-get", "update", "-q"], capture_output=True, env=env)
        done = subprocess.run(install, capture_output=True, text=True, env=env)
    found = _found(binary)
    if found is None:
        raise RuntimeError(
            f"{binary} is missing and could not be installed with apt-get "
            f"(install Debian's {package} package): {done.stderr.strip()[-400:]}"
        )
    return found
