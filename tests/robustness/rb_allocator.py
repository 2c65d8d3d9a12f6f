"""An allocator process for the crash and load tests: allocates (and sometimes releases) SDA blocks in a
loop, printing `A id start size` / `R id` after each commit, until killed or `--seconds` elapse.

Run as a script: python rb_allocator.py URL SEED [SECONDS]
"""

from __future__ import annotations

import random
import sys
import time
from datetime import date

from provisioning import db
from provisioning.numbers import allocate_block, release_block

SIZES, WEIGHTS = (1, 10, 100), (60, 35, 5)
TODAY = date(2026, 5, 4)  # injected: the tests never read the wall-clock date


def main(url: str, seed: int, seconds: float) -> None:
    rng = random.Random(seed)
    mine: list[int] = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if mine and rng.random() < 0.2:
            block_id = mine.pop(rng.randrange(len(mine)))
            db.in_transaction(
                url, lambda s, b=block_id: release_block(s, str(b), actor=f"crash{seed}", today=TODAY)
            )
            print(f"R {block_id}", flush=True)
        else:
            size = rng.choices(SIZES, WEIGHTS)[0]
            blk = db.in_transaction(
                url,
                lambda c, n=size: allocate_block(c, "paris-hq", n, actor=f"crash{seed}", today=TODAY),
                core=True,
            )
            mine.append(blk.id)
            print(f"A {blk.id} {blk.start} {blk.size}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]) if len(sys.argv) > 3 else 1e9)
