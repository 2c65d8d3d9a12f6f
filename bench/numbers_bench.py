"""Benchmark SDA numbers: load 1,000,000 numbers, then allocate 10,000 blocks of 10, on SQLite and PostgreSQL.

Prints rates and ratios against baselines measured in the same run on the same disk:
- loading: `add_range` vs a raw sqlite3 `executemany` of the same rows into the same table and indexes;
- allocating: one `allocate_block` transaction (`db.driver_transaction`, the path `centrex numbers
  allocate` takes) vs a bare write transaction (BEGIN IMMEDIATE, UPDATE 10 rows, COMMIT) — the floor
  any transactional allocator pays. Both run interleaved in chunks, so a change of load on the shared
  machine hits both alike; CPU seconds (the cycles this process got) are shown beside wall seconds;
- the bulk path (`allocate_bulk`, one transaction per 500 blocks, what fleet provisioning uses);
- PostgreSQL: the same allocation loop and bare write transaction on a throwaway local cluster
  (skipped, with the install line, when the server is not installed).
Targets (issues 5 and 18): 1 M loaded in < 10 s; an allocation ≤ 2.2× a bare write transaction
(≥ 10,000 blocks/s). Shown, never asserted.

Usage: python bench/numbers_bench.py [--numbers 1000000] [--blocks 10000] [--pg-blocks 2000]
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from provisioning import db  # noqa: E402
from provisioning.check import check  # noqa: E402
from provisioning.inventory import SiteRow, upsert_site  # noqa: E402
from provisioning.numbers import add_range, allocate_block, allocate_bulk  # noqa: E402

FIRST = 33170000000
CHUNK = 250
BARE_SQL = (
    "UPDATE number SET state = 'allocated' WHERE state = 'free' AND zone = '01' AND e164 BETWEEN {} AND {}"
)


class Clock:
    """Accumulated wall and CPU seconds of the sections timed with it."""

    def __init__(self) -> None:
        self.wall = self.cpu = 0.0

    def __enter__(self) -> Clock:
        self._w, self._c = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall += time.perf_counter() - self._w
        self.cpu += time.process_time() - self._c


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


def seed(url: str, numbers: int) -> float:
    """Create the bench site and load the range through `add_range`; return its seconds."""
    with db.session_scope(url) as s:
        upsert_site(s, SiteRow("bench", "Bench", "1 rue de Rivoli", "75001", "Paris", "alleo"))
    t0 = time.perf_counter()
    with db.session_scope(url) as s:
        add_range(s, f"+{FIRST}", numbers, "bench")
    return time.perf_counter() - t0


def allocations_vs_bare(url: str, blocks: int, bare_tx) -> tuple[Clock, Clock]:
    """Alternate chunks of `allocate_block` transactions and of bare write transactions."""
    ours, bare = Clock(), Clock()
    done = 0
    while done < blocks:
        n = min(CHUNK, blocks - done)
        with bare:
            for i in range(done, done + n):
                bare_tx(FIRST + 10 * i)
        with ours:
            for _ in range(n):
                db.driver_transaction(url, lambda d: allocate_block(d, "bench", 10, actor="bench"))
        done += n
    return ours, bare


def sqlite_figures(tmp: Path, numbers: int, blocks: int) -> None:
    base_db, floor_db = tmp / "baseline.db", tmp / "floor.db"
    our_db, bulk_db = tmp / "centrex.db", tmp / "bulk.db"
    for path in (base_db, floor_db, our_db, bulk_db):
        db.upgrade(str(path))
    db.dispose_all()
    raw_s = raw_load(base_db, numbers)
    load_s = seed(str(our_db), numbers)
    seed(str(floor_db), numbers)  # the bare transactions run on the same rows, loaded the same way
    seed(str(bulk_db), min(numbers, 20 * blocks))
    db.dispose_all()

    conn = sqlite3.connect(floor_db, isolation_level=None)
    conn.execute("PRAGMA synchronous = NORMAL")

    def bare_tx(first: int) -> None:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(BARE_SQL.format(first, first + 9))
        conn.execute("COMMIT")

    ours, bare = allocations_vs_bare(str(our_db), blocks, bare_tx)
    conn.close()
    bulk = Clock()
    with bulk:
        for lo in range(0, blocks, 500):
            requests = [("bench", 10)] * min(500, blocks - lo)
            db.in_transaction(str(bulk_db), lambda s, r=requests: allocate_bulk(s, r, actor="bench"))
    broken = []
    for url in (our_db, bulk_db):
        with db.session_scope(str(url)) as s:
            broken += [r.name for r in check(s) if not r.ok]

    n, b = numbers, blocks
    print(f"load {n:,} numbers (SQLite)")
    print(f"  add_range           {load_s:8.2f} s  {n / load_s:12,.0f} numbers/s   (target: 1 M in < 10 s)")
    print(f"  raw executemany     {raw_s:8.2f} s  {n / raw_s:12,.0f} numbers/s")
    print(f"  ratio add_range / raw executemany time: {load_s / raw_s:.2f}")
    print(f"allocate {b:,} blocks of 10, one transaction each (SQLite), interleaved in chunks of {CHUNK}")
    for label, c in (("allocate_block", ours), ("bare write tx", bare)):
        print(
            f"  {label:18s}  {c.wall:8.2f} s wall {b / c.wall:9,.0f}/s"
            f"  {c.cpu:6.2f} s CPU {b / c.cpu:9,.0f}/s"
        )
    print(
        f"  ratio allocate_block / bare write transaction: {ours.wall / bare.wall:.2f} wall,"
        f" {ours.cpu / bare.cpu:.2f} CPU   (target: ≤ 2.2)"
    )
    print("bulk path: allocate_bulk, 500 blocks of 10 per transaction (SQLite)")
    print(
        f"  allocate_bulk       {bulk.wall:8.2f} s wall {b / bulk.wall:9,.0f}/s  {bulk.cpu:6.2f} s CPU"
        f" {b / bulk.cpu:9,.0f}/s   (target: ≥ 10,000 blocks/s)"
    )
    print(f"  ratio per block, bulk / bare write transaction: {bulk.wall / bare.wall:.2f} wall")
    print(
        f"db check after the runs: {'all invariants hold' if not broken else 'BROKEN: ' + ', '.join(broken)}"
    )


class PgCluster:
    """A throwaway PostgreSQL cluster on a Unix socket in a temporary directory (run as `postgres`)."""

    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not found:
            raise RuntimeError("PostgreSQL server is not installed: apt-get install -y postgresql")
        self.bin = Path(found[-1]).parent
        self.dir = Path(tempfile.mkdtemp(prefix="numbers-bench-pg-"))
        os.chmod(self.dir, 0o700)
        shutil.chown(self.dir, "postgres", "postgres")
        self.port = 54329
        self._pg(["initdb", "-A", "trust", "-U", "postgres", "-E", "UTF8", "-D", str(self.dir / "data")])
        opts = f"-k {self.dir} -p {self.port} -c listen_addresses='' -c fsync=off"
        self._pg(
            ["pg_ctl", "-D", str(self.dir / "data"), "-o", opts, "-l", str(self.dir / "log"), "-w", "start"]
        )

    def _pg(self, cmd: list[str]) -> None:
        full = ["runuser", "-u", "postgres", "--", str(self.bin / cmd[0]), *cmd[1:]]
        subprocess.run(full, check=True, capture_output=True, timeout=120)

    def new_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(host=str(self.dir), port=self.port, user="postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql://postgres@/{name}?host={self.dir}&port={self.port}"

    def stop(self) -> None:
        db.dispose_all()
        self._pg(["pg_ctl", "-D", str(self.dir / "data"), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(self.dir, ignore_errors=True)


def pg_figures(blocks: int) -> None:
    import psycopg

    try:
        cluster = PgCluster()
    except (RuntimeError, subprocess.CalledProcessError, KeyError, LookupError) as exc:
        print(f"PostgreSQL: not measured ({exc})")
        return
    try:
        ours_url, base_url = cluster.new_database("ours"), cluster.new_database("base")
        for url in (ours_url, base_url):
            db.upgrade(url)
            seed(url, 20 * blocks)
        conn = psycopg.connect(host=str(cluster.dir), port=cluster.port, user="postgres", dbname="base")

        def bare_tx(first: int) -> None:
            with conn.transaction():
                conn.execute(BARE_SQL.format(first, first + 9))

        ours, bare = allocations_vs_bare(ours_url, blocks, bare_tx)
        conn.close()
        with db.session_scope(ours_url) as s:
            broken = [r.name for r in check(s) if not r.ok]
        print(f"allocate {blocks:,} blocks of 10, one transaction each (PostgreSQL, local socket)")
        print(f"  allocate_block      {ours.wall:8.2f} s wall {blocks / ours.wall:9,.0f}/s")
        print(f"  bare write tx       {bare.wall:8.2f} s wall {blocks / bare.wall:9,.0f}/s")
        print(f"  ratio allocate_block / bare write transaction: {ours.wall / bare.wall:.2f} wall")
        print(f"  db check: {'all invariants hold' if not broken else 'BROKEN: ' + ', '.join(broken)}")
    finally:
        cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numbers", type=int, default=1_000_000)
    parser.add_argument("--blocks", type=int, default=10_000)
    parser.add_argument("--pg-blocks", type=int, default=2_000, help="0: skip PostgreSQL")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="numbers-bench-") as tmp:
        sqlite_figures(Path(tmp), args.numbers, args.blocks)
    if args.pg_blocks:
        pg_figures(args.pg_blocks)
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
