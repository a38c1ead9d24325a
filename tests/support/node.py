"""The Node.js side of the suite: real JavaScript clients (Apollo Client, Apollo's
composition and Gateway, graphql-schema-linter, Playwright) installed by the tests themselves
from the npm registry into `tests/node/node_modules` (ignored by git), from the committed lock
file, so a fresh machine or CI needs nothing installed by hand."""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
from pathlib import Path

import pytest

NODE_PROJECT = Path(__file__).resolve().parent.parent / "node"
_INSTALLED_STAMP = NODE_PROJECT / "node_modules" / ".installed-lock.json"


def _lock_text() -> str:
    return (NODE_PROJECT / "package-lock.json").read_text()


def node_packages() -> Path:
    """The folder holding the installed Node project, installing it first when the lock file
    changed since the last install; skips the calling test when `node` or `npm` is absent."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js and npm are not installed; the JavaScript client tests need them")
    with open(NODE_PROJECT / "package.json", "rb") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        if not _INSTALLED_STAMP.exists() or _INSTALLED_STAMP.read_text() != _lock_text():
            done = subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=NODE_PROJECT,
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                raise RuntimeError(f"npm ci failed in {NODE_PROJECT}: {done.stderr[-2000:]}")
            _INSTALLED_STAMP.write_text(_lock_text())
    return NODE_PROJECT


def run_node_script(
    script: str, *args: str, timeout: float = 300.0
) -> subprocess.CompletedProcess[str]:
    """Runs `tests/node/<script>` with the installed packages; its stdout is returned for the
    test to read (scripts print one JSON document), its stderr shown when it fails."""
    project = node_packages()
    return subprocess.run(
        ["node", str(project / script), *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def node_json(script: str, *args: str, timeout: float = 300.0) -> object:
    """The JSON document a Node script printed, failing with its stderr when it did not end
    well."""
    done = run_node_script(script, *args, timeout=timeout)
    assert done.returncode == 0, f"{script} failed ({done.returncode}):\n{done.stderr[-4000:]}"
    return json.loads(done.stdout)
