"""Cursor size and cost over three accounts (DIDforSale `dfs`, CarrierX `cx-a` and `cx-b`).

Walks the dataset whole with pages of 50, forward and backward in both orders, over real
HTTP, and prints the length of every cursor handed out (max and mean), the bytes of cursors
a full 50-edge page carries, and the codec's encode and decode time per cursor (the best of
several rounds over the cursors of the walks).

    .venv/bin/python bench/cursors.py [--records 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime

from stack import BACKWARD, FORWARD, walk

from gateway.paging.cursor import CursorCodec
from gateway.simulators.dataset import generate_carrierx_records, generate_didforsale_rows
from tests.support.deployment import SECRET
from tests.support.simulators import DFS_ZONE, Simulated, deploy_simulators

PAGE = """query Page($first: Int, $after: String, $last: Int, $before: String,
                    $order: SmsRecordOrder) {
  smsRecords(first: $first, after: $after, last: $last, before: $before, orderBy: $order) {
    edges { cursor node { id } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""
SIZE = 50
ROUNDS = 5


async def deploy(records: int) -> Simulated:
    now = datetime.now(UTC)
    third = records // 3
    rows = generate_didforsale_rows(third, seed=1, timezone=DFS_ZONE, now=now, days=29)
    cx = {
        name: generate_carrierx_records(third, seed=seed, now=now, days=29)
        for name, seed in (("cx-a", 2), ("cx-b", 3))
    }
    return await deploy_simulators({"dfs": rows}, cx)


async def walks(stack: Simulated) -> tuple[list[str], list[int]]:
    """Every cursor of the four walks, and the cursor bytes of each full page."""
    cursors, page_bytes = [], []
    for way in (FORWARD, BACKWARD):
        for order in ("CREATED_AT_ASC", "CREATED_AT_DESC"):
            done = await walk(stack.gql, way, SIZE, query=PAGE, order=order)
            for page in done.pages:
                edges = [edge["cursor"] for edge in page.connection["edges"]]
                cursors += [*edges, page.info["startCursor"], page.info["endCursor"]]
                if len(edges) == SIZE:
                    page_bytes.append(sum(map(len, edges)))
    return [cursor for cursor in cursors if cursor], page_bytes


def per_call_micros(run: Callable[[], object], calls: int) -> float:
    best = min(_timed(run) for _ in range(ROUNDS))
    return best / calls * 1e6


def _timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


async def main(records: int) -> None:
    stack = await deploy(records)
    try:
        cursors, page_bytes = await walks(stack)
    finally:
        await stack.close()
    lengths = [len(cursor) for cursor in cursors]
    print(f"{len(cursors)} cursors of 4 walks over 3 accounts ({records} records, pages of {SIZE})")
    print(f"cursor length: max {max(lengths)}, mean {statistics.fmean(lengths):.1f} characters")
    print(
        f"cursors of a full {SIZE}-edge page: mean {statistics.fmean(page_bytes) / 1024:.1f} KB, "
        f"max {max(page_bytes) / 1024:.1f} KB"
    )
    codec = CursorCodec(SECRET).over(("dfs", "cx-a", "cx-b"))
    decoded = [codec.decode(cursor) for cursor in cursors]
    decode = per_call_micros(lambda: [codec.decode(cursor) for cursor in cursors], len(cursors))
    encode = per_call_micros(lambda: [codec.encode(cursor) for cursor in decoded], len(cursors))
    print(f"codec: encode {encode:.1f} µs, decode {decode:.1f} µs per cursor")
    print(f"a {SIZE}-edge page pays {encode * SIZE / 1000:.2f} ms for its cursors when selected")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=3000)
    asyncio.run(main(parser.parse_args().records))
