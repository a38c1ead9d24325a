"""The container files read as Docker and Compose read them, and their commands run here as
the image would run them: the Dockerfile through Docker's own parser, compose.yaml as YAML.

No Docker engine is needed: a command the image runs is a program of this virtual
environment (the image's PATH starts with its own), started as a process of its own."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import dockerfile
import yaml

from .timing import eventually

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
DOCKER = ROOT / "docker"
COMPOSE_FILE = DOCKER / "compose.yaml"
START_SECONDS = 60
STOP_SECONDS = 30


def instruction(name: str) -> dockerfile.Command:
    """The Dockerfile's last `name` instruction: the one that counts for the image."""
    found = [command for command in dockerfile.parse_file(str(DOCKERFILE)) if command.cmd == name]
    assert found, f"the Dockerfile has no {name}"
    return found[-1]


def exec_form(name: str) -> list[str]:
    """The JSON-array value of an instruction (ENTRYPOINT, CMD, HEALTHCHECK CMD)."""
    command = instruction(name)
    assert command.json, f"{name} is in shell form: signals would go to a shell, not the program"
    return list(command.value)


def image_healthcheck() -> list[str]:
    """The HEALTHCHECK's command, without its `CMD` marker."""
    marker, *command = exec_form("HEALTHCHECK")
    assert marker == "CMD"
    return command


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def service(name: str) -> dict[str, Any]:
    return compose()["services"][name]


def option(argv: Sequence[str], name: str) -> str:
    """The value after option `name` in `argv`; the option must be there."""
    assert name in argv, (name, argv)
    return argv[list(argv).index(name) + 1]


def with_option(argv: Sequence[str], option: str, value: str) -> list[str]:
    """`argv` with the value after `option` replaced; the option must be there."""
    assert option in argv, (option, argv)
    at = list(argv).index(option) + 1
    return [*argv[:at], value, *argv[at + 1 :]]


def replaced(argv: Sequence[str], old: str, new: str) -> list[str]:
    """`argv` with `old` replaced by `new` inside exactly one argument."""
    hits = [i for i, argument in enumerate(argv) if old in argument]
    assert len(hits) == 1, (old, argv)
    return [a.replace(old, new) if i == hits[0] else a for i, a in enumerate(argv)]


def local(argv: Sequence[str]) -> list[str]:
    """A command of the image as this machine runs it: its program from this environment."""
    program = Path(sys.executable) if argv[0] == "python" else Path(sys.executable).parent / argv[0]
    assert program.exists(), program
    return [str(program), *argv[1:]]


@dataclass
class Running:
    """A command started by `running`, and where its output goes."""

    process: asyncio.subprocess.Process
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


async def answer(url: str) -> tuple[int, str] | None:
    """The status and body `url` answers with now; None while nothing listens there."""
    try:
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            return response.status, await response.text()
    except aiohttp.ClientConnectionError:
        return None


@contextlib.asynccontextmanager
async def running(
    argv: Sequence[str], env: Mapping[str, str], ready_url: str, log: Path
) -> AsyncIterator[Running]:
    """Runs `argv` until `ready_url` answers, then yields; afterwards stops it with SIGTERM,
    as `docker stop` does, and checks that it exited cleanly."""
    with log.open("wb") as sink:
        process = await asyncio.create_subprocess_exec(
            *argv, env=dict(env), stdout=sink, stderr=asyncio.subprocess.STDOUT
        )
    started = Running(process, log)
    last: tuple[int, str] | None = None
    try:

        async def ready() -> bool:
            nonlocal last
            assert process.returncode is None, started.output()
            last = await answer(ready_url)
            return last is not None and last[0] < 300

        try:
            await eventually(ready, START_SECONDS)
        except AssertionError as exc:
            raise AssertionError(f"{ready_url}: {last}\n{started.output()}") from exc
        yield started
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), STOP_SECONDS) == 0, started.output()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def run_check(argv: Sequence[str]) -> int:
    """Runs a healthcheck command to its end; its exit status (0: healthy)."""
    process = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    return await asyncio.wait_for(process.wait(), STOP_SECONDS)
