"""Benchmark SDA numbers on SQLite: load 1,000,000 numbers, then allocate 10,000 blocks of 10.

Prints rates and ratios against baselines measured in the same run on the same disk:
- loading: `add_range` vs a raw sqlite3 `executemany` of the same rows into the same table and indexes;
- allocating: one `allocate_block` transaction vs a bare sqlite3 write transaction (BEGIN IMMEDIATE,
  UPDATE 10 rows, COMMIT) — the floor any transactional allocator pays.
Targets of issue 5 (1 M loaded in < 10 s, ≥ 2,000 allocations/s) are shown, never asserted.

Usage: python bench/numbers_bench.py [--numbers 1000000] [--blocks 10000]
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path

from provisioning import db
from provisioning.check import check
from provisioning.inventory import SiteRow, upsert_site
from provisioning.numbers import add_range, allocate_block

FIRST = 33170000000


def raw_load(path: Path, count: int) -> float:
    """Insert `count` rows with sqlite3.executemany into a migrated database; return seconds."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(
        "INSERT INTO number_range (id, start, size, zone, created_at, created_by)"
        " VALUES (1, ?, ?, '01', '2026-01-01 00:00:00', 'bench')",
        (FIRST, count),
    )
    rows = ((n, 1, "01", "free") for n in range(FIRST, FIRST + count))
    t0 = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO number (e164, range_id, zone, state) VALUES (?, ?, ?, ?)", rows)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    conn.close()
    return elapsed


def raw_transactions(path: Path, count: int) -> float:
    """Run `count` bare write transactions (update 10 rows each); return seconds."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = NORMAL")
    t0 = time.perf_counter()
    for i in range(count):
        first = FIRST + 10 * i
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "UPDATE number SET state = 'allocated' WHERE state = 'free' AND zone = '01'"
            " AND e164 BETWEEN ? AND ?",
            (first, first + 9),
        )
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - t0
    conn.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numbers", type=int, default=1_000_000)
    parser.add_argument("--blocks", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="numbers-bench-") as tmp:
        base_db, our_db = Path(tmp) / "baseline.db", Path(tmp) / "centrex.db"
        db.upgrade(str(base_db))
        db.upgrade(str(our_db))
        db.dispose_all()

        raw_s = raw_load(base_db, args.numbers)
        with db.session_scope(str(our_db)) as s:
            upsert_site(s, SiteRow("bench", "Bench", "1 rue de Rivoli", "75001", "Paris", "alleo"))
        t0 = time.perf_counter()
        with db.session_scope(str(our_db)) as s:
            add_range(s, f"+{FIRST}", args.numbers, "bench")
        load_s = time.perf_counter() - t0

        raw_tx_s = raw_transactions(base_db, args.blocks)
        url = str(our_db)
        t0 = time.perf_counter()
        for _ in range(args.blocks):
            db.in_transaction(url, lambda conn: allocate_block(conn, "bench", 10, actor="bench"), core=True)
        alloc_s = time.perf_counter() - t0
        with db.session_scope(url) as s:
            broken = [r.name for r in check(s) if not r.ok]

    n, b = args.numbers, args.blocks
    print(f"load {n:,} numbers")
    print(f"  add_range           {load_s:8.2f} s  {n / load_s:12,.0f} numbers/s   (target: 1 M in < 10 s)")
    print(f"  raw executemany     {raw_s:8.2f} s  {n / raw_s:12,.0f} numbers/s")
    print(f"  ratio add_range / raw executemany time: {load_s / raw_s:.2f}")
    print(f"allocate {b:,} blocks of 10 (one transaction each)")
    print(f"  allocate_block      {alloc_s:8.2f} s  {b / alloc_s:12,.0f} blocks/s    (target: ≥ 2,000/s)")
    print(f"  bare write tx       {raw_tx_s:8.2f} s  {b / raw_tx_s:12,.0f} tx/s")
    print(f"  ratio allocate_block / bare write transaction time: {alloc_s / raw_tx_s:.2f}")
    print(
        f"db check after the run: {'all invariants hold' if not broken else 'BROKEN: ' + ', '.join(broken)}"
    )


if __name__ == "__main__":
    main()
