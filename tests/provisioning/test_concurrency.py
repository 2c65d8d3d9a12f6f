"""Concurrent allocators (separate processes) never get the same number, lose none, stay aligned."""

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
from provisioning.numbers import add_range, allocate_block

WORKERS = 8
SIZES, WEIGHTS = (1, 10, 100, 1000), (50, 35, 13, 2)


def _allocate_many(url: str, seed: int, count: int) -> list[tuple[int, int]]:
    """Worker process: `count` allocations of mixed sizes; return (start, size) of each block."""
    rng = random.Random(seed)
    got = []
    for size in rng.choices(SIZES, WEIGHTS, k=count):
        blk = db.in_transaction(
            url,
            lambda c, n=size: allocate_block(c, "paris-hq", n, actor=f"w{seed}", today=date(2026, 5, 4)),
            core=True,
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

    assert [len(r) for r in results] == [per_worker] * WORKERS  # nobody failed
    blocks = [b for r in results for b in r]
    assert all(start % size == 0 for start, size in blocks)  # every block aligned
    given = [n for start, size in blocks for n in range(start, start + size)]
    assert len(given) == len(set(given))  # 0 numbers given twice
    with db.session_scope(url) as s:
        allocated = set(s.scalars(select(Number.e164).where(Number.state == "allocated")))
        assert allocated == set(given)  # 0 lost: the database holds exactly what was handed out
        assert all(r.ok for r in check(s)), [r.violations for r in check(s) if not r.ok]


def test_concurrent_allocation(db_url, sites_csv):
    run_allocators(db_url, sites_csv, per_worker=100, range_size=60_000)


@pytest.mark.heavy
def test_concurrent_allocation_8_x_1000(db_url, sites_csv):
    run_allocators(db_url, sites_csv, per_worker=1000, range_size=600_000)
