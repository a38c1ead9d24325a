"""Where the time goes, from py-spy's collapsed stacks (`--format raw`): own time (spent in
the function itself) summed by package, then the functions with the largest own share of
samples and the largest total share (in them or anything they called), line numbers merged,
so a profile reads as short tables. Frames under nearly every sample (the event loop, the
command's entry) are left out of the total table: they say nothing.

    .venv/bin/python bench/hotspots.py PROFILE.collapsed [--top 25]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

_LINE = re.compile(r":\d+\)$")
EVERYWHERE = 0.9
"""A frame under this share of samples or more is the program's skeleton, not a hotspot."""


def _frame(text: str) -> str:
    """`execute (graphql/execution/execute.py:123)` read as `execute (graphql/execution/...)`:
    the function, wherever in it the sample fell."""
    return _LINE.sub(")", text.strip())


def _package(frame: str) -> str:
    """The top-level package (or module) of a frame's file: `graphql`, `gateway`, `asyncio`."""
    where = frame[frame.rfind("(") + 1 : -1] if frame.endswith(")") else frame
    return where.split("/")[0].removesuffix(".py")


def hotspots_table(collapsed: str, top: int = 25) -> str:
    """Markdown tables: own share by package, the `top` functions by own share, by total."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [_frame(f) for f in stack.split(";")]
        weight = int(count)
        samples += weight
        own[frames[-1]] += weight
        for frame in set(frames):
            total[frame] += weight
    if not samples:
        return "no samples\n"
    packages: Counter[str] = Counter()
    for frame, n in own.items():
        packages[_package(frame)] += n
    lines = [f"{samples} samples", "", "| own % | package |", "|---|---|"]
    lines += [f"| {n * 100 / samples:.1f} | {p} |" for p, n in packages.most_common(12)]
    lines += ["", "| own % | function |", "|---|---|"]
    lines += [f"| {n * 100 / samples:.1f} | {f} |" for f, n in own.most_common(top)]
    lines += ["", "| total % | function |", "|---|---|"]
    inner = [(f, n) for f, n in total.most_common() if n < EVERYWHERE * samples]
    lines += [f"| {n * 100 / samples:.1f} | {f} |" for f, n in inner[:top]]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("collapsed", type=Path)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    print(hotspots_table(args.collapsed.read_text(), args.top), end="")


if __name__ == "__main__":
    main()
