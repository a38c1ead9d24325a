"""Where the time goes, from py-spy's collapsed stacks (`--format raw`): the functions with
the largest own share of samples (time spent in the function itself) and total share (in
it or anything it called), line numbers merged, so a profile reads as a short table.

    .venv/bin/python bench/hotspots.py PROFILE.collapsed [--top 25]
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

_LINE = re.compile(r":\d+\)$")


def _frame(text: str) -> str:
    """`execute (graphql/execution/execute.py:123)` read as `execute (graphql/execution/...)`:
    the function, wherever in it the sample fell."""
    return _LINE.sub(")", text.strip())


def hotspots_table(collapsed: str, top: int = 25) -> str:
    """A Markdown table of the `top` functions by own share, then by total share."""
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
    lines = [f"{samples} samples", "", "| own % | function |", "|---|---|"]
    lines += [f"| {n * 100 / samples:.1f} | {f} |" for f, n in own.most_common(top)]
    lines += ["", "| total % | function |", "|---|---|"]
    lines += [f"| {n * 100 / samples:.1f} | {f} |" for f, n in total.most_common(top)]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("collapsed", type=Path)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    print(hotspots_table(args.collapsed.read_text(), args.top), end="")


if __name__ == "__main__":
    main()
