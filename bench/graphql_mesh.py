"""GraphQL Mesh, the peer the gateway is measured against: `@graphql-mesh/compose-cli` with
`@omnigraph/json-schema` composes one CarrierX account's listing into a supergraph
(`bench/mesh/mesh.config.ts`), and `@graphql-hive/gateway` serves it. The packages come from
the npm registry, installed on first use into `bench/mesh/node_modules` (git-ignored), at
the versions `bench/mesh/package.json` pins."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from loopback import Running, start, unused_port

MESH = Path(__file__).resolve().parent / "mesh"
BIN = MESH / "node_modules" / ".bin"

QUERY = """query Page($limit: Int!) {
  messageDrs(limit: $limit, order: "date_insert desc") {
    items { dr_sid date_insert direction number_src number_dst status message }
  }
}"""
"""The newest records of the account, the same seven fields the gateway's page reads."""


def ensure_installed() -> None:
    """Installs the pinned packages with npm unless they are there already."""
    if (BIN / "hive-gateway").exists() and (BIN / "mesh-compose").exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is missing: install Node.js 20 or newer (Debian's nodejs, npm)")
    command = [npm, "install", "--no-audit", "--no-fund", "--no-package-lock", "--loglevel=error"]
    subprocess.run(command, cwd=MESH, check=True)


def compose(carrierx_url: str, token: str, folder: Path) -> Path:
    """The supergraph over one CarrierX account, written into `folder`."""
    supergraph = folder / "supergraph.graphql"
    env = {**os.environ, "CARRIERX_URL": carrierx_url, "CARRIERX_TOKEN": token}
    subprocess.run(
        [str(BIN / "mesh-compose"), "-o", str(supergraph)],
        cwd=MESH,
        env=env,
        check=True,
        capture_output=True,
    )
    return supergraph


@contextmanager
def mesh_gateway(carrierx_url: str, token: str, *, workers: int = 1) -> Iterator[str]:
    """Hive Gateway serving the composed supergraph on loopback; yields its GraphQL URL.
    More than one worker is asked with `--fork`, as many as the gateway is given."""
    with tempfile.TemporaryDirectory(prefix="bench-mesh-") as folder:
        supergraph = compose(carrierx_url, token, Path(folder))
        port = unused_port()
        command = [str(BIN / "hive-gateway"), "supergraph", str(supergraph)]
        command += ["--host", "127.0.0.1", "--port", str(port)]
        if workers > 1:
            command += ["--fork", str(workers)]
        running: Running = start(command, "Listening on", env={"NO_COLOR": "1"})
        try:
            yield f"http://127.0.0.1:{port}/graphql"
        finally:
            running.stop()
