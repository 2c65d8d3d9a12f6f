"""Concurrent allocators (separate processes) never get the same number, lose none, stay aligned.

The 16 processes take the three write paths in turn: a SQLAlchemy Core transaction, the lean driver
transaction (`centrex numbers allocate`), and the bulk path of fleet provisioning (a few blocks a
transaction).
"""

from __future__ import annotations

import multiprocessing
import random
from datetime import date

import pytest
from sqlalchemy import select

from provisioning import db
from provisioning.check import check
from provisioning.inventory import import_sites
from provisioning.models import Number
from provisioning.numbers import add_range, allocate_block, allocate_bulk

WORKERS = 16
SIZES, WEIGHTS = (1, 10, 100, 1000), (50, 35, 13, 2)
DAY = date(2026, 5, 4)  # the day quarantines are swept for: injected, never the wall clock


def _allocate_many(url: str, seed: int, count: int) -> list[tuple[int, int]]:
    """Worker process: `count` allocations of mixed sizes; return (start, size) of each block."""
    rng = random.Random(seed)
    got = []
    sizes = rng.choices(SIZES, WEIGHTS, k=count)
    if seed % 3 == 2:  # bulk: 5 sizes a transaction, as extensions of paris-hq
        for lo in range(0, count, 5):
            requests = [("paris-hq", n) for n in sizes[lo : lo + 5]]
            blocks, _ = db.in_transaction(
                url, lambda s, r=requests: allocate_bulk(s, r, actor=f"w{seed}", today=DAY)
            )
            got += [(b.start, b.size) for b in blocks["paris-hq"]]
        db.dispose_all()
        return got
    for size in sizes:
        if seed % 3 == 0:
            blk = db.in_transaction(
                url,
                lambda c, n=size: allocate_block(c, "paris-hq", n, actor=f"w{seed}", today=DAY),
                core=True,
            )
        else:
            blk = db.driver_transaction(
                url, lambda d, n=size: allocate_block(d, "paris-hq", n, actor=f"w{seed}", today=DAY)
            )
        got.append((blk.start, blk.size))
    db.dispose_all()
    return got


def run_allocators(url: str, sites_csv, per_worker: int, range_size: int) -> None:
    with db.session_scope(url) as s:
        import_sites(s, sites_csv)
        add_range(s, "+33180000000", range_size, "test")
    db.dispose_all()
    ctx = multiprocessing.get_context("fork")  # children share the imports; no connection is open
    with ctx.Pool(WORKERS) as pool:
        results = pool.starmap(_allocate_many, [(url, seed, per_worker) for seed in range(WORKERS)])

    # nobody failed (a bulk request of 1, 10, 100 or 1000 extensions is one block)
    assert [len(r) for r in results] == [per_worker] * WORKERS
    blocks = [b for r in results for b in r]
    assert all(start % size == 0 for start, size in blocks)  # every block aligned
    given = [n for start, size in blocks for n in range(start, start + size)]
    assert len(given) == len(set(given))  # 0 numbers given twice
    with db.session_scope(url) as s:
        allocated = set(s.scalars(select(Number.e164).where(Number.state == "allocated")))
        assert allocated == set(given)  # 0 lost: the database holds exactly what was handed out
        assert all(r.ok for r in check(s)), [r.violations for r in check(s) if not r.ok]


def test_concurrent_allocation(db_url, sites_csv):
    run_allocators(db_url, sites_csv, per_worker=50, range_size=60_000)


@pytest.mark.heavy
def test_concurrent_allocation_16_x_500(db_url, sites_csv):
    run_allocators(db_url, sites_csv, per_worker=500, range_size=600_000)
