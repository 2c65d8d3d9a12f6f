"""Crash safety: allocators SIGKILLed mid-transaction (SQLite and PostgreSQL) leave a consistent inventory
(`centrex db check` finds no violation, every reported allocation is there); `centrex run` SIGKILLed at
a random point leaves its output directory absent or complete."""

from __future__ import annotations

import importlib.util
import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from rb_harness import COUNTS, run_cli
from sqlalchemy import select

from provisioning import db
from provisioning.inventory import import_sites
from provisioning.models import NumberBlock
from provisioning.numbers import add_range

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PYTHON = sys.executable

# The provisioning suite's PostgreSQL fixture, imported (not copied): a throwaway cluster run as `postgres`.
_spec = importlib.util.spec_from_file_location(
    "provisioning_fixtures", ROOT / "tests/provisioning/conftest.py"
)
_prov = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_prov)
pg_cluster = _prov.pg_cluster
SITES_CSV = _prov.SITES_CSV


def make_inventory(kind: str, request, tmp_path: Path, numbers: int) -> str:
    """A migrated inventory (SQLite file or fresh PostgreSQL database) with the provisioning sites and
    one range of `numbers` numbers."""
    if kind == "sqlite":
        url = str(tmp_path / "centrex.db")
    else:
        url = request.getfixturevalue("pg_cluster").new_database()
    db.upgrade(url)
    sites = tmp_path / "sites.csv"
    sites.write_text(SITES_CSV, encoding="utf-8")
    with db.session_scope(url) as s:
        import_sites(s, sites)
        add_range(s, "+33170000000", numbers, "test")
    db.dispose_all()
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def inventory_url(request, tmp_path) -> str:
    yield make_inventory(request.param, request, tmp_path, 100_000)
    db.dispose_all()


def _db_check(url: str) -> list[dict]:
    res = run_cli(["db", "check", "--db", url, "--format", "json"])
    rows = json.loads(res.out) if res.out else []
    assert res.code == 0, f"db check failed (exit {res.code}): {res.err} {rows}"
    return rows


def spawn_allocator(url: str, seed: int, seconds: float = 1e9) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{HERE}"}
    return subprocess.Popen(
        [PYTHON, str(HERE / "rb_allocator.py"), url, str(seed), str(seconds)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )


ROUNDS = 4


def test_allocators_killed_mid_transaction_leave_a_consistent_inventory(inventory_url):
    """3 allocators, SIGKILLed at a random instant, 6 rounds: after each, `centrex db check` passes and
    every allocation an allocator reported (printed after its commit) is in the database."""
    rng = random.Random(1234)
    reported: dict[int, tuple[int, int]] = {}
    released: set[int] = set()
    kills = 0
    for r in range(ROUNDS):
        procs = [spawn_allocator(inventory_url, 100 * r + i) for i in range(3)]
        firsts = [p.stdout.readline() for p in procs]  # each is in its allocation loop now
        time.sleep(rng.uniform(0.0, 0.8))
        for p in procs:
            p.send_signal(signal.SIGKILL)
        for p, first in zip(procs, firsts, strict=True):
            out, err = p.communicate(timeout=30)
            out = first + out
            assert p.returncode == -signal.SIGKILL, err[-2000:]
            kills += 1
            for line in out.splitlines():
                parts = line.split()
                if len(parts) == 4 and parts[0] == "A":
                    reported[int(parts[1])] = (int(parts[2]), int(parts[3]))
                elif len(parts) == 2 and parts[0] == "R":
                    released.add(int(parts[1]))
        _db_check(inventory_url)
    assert reported, "no allocation happened before the kills: the test proves nothing"
    with db.session_scope(inventory_url) as s:
        blocks = {b.id: b for b in s.scalars(select(NumberBlock))}
        for block_id, (start, size) in reported.items():
            b = blocks.get(block_id)
            assert b is not None and (b.start, b.size) == (start, size), f"block {block_id} lost"
            if block_id in released:
                assert b.state != "allocated", f"released block {block_id} still allocated"
    db.dispose_all()
    COUNTS["figure: allocator processes SIGKILLed, inventory consistent"] += kills
    print(f"allocators killed: {kills}, allocations reported before the kills: {len(reported)}")


def test_db_check_reports_a_violation(inventory_url):
    """The checker is not vacuous: a number put in two blocks by hand is reported (exit 1)."""
    with db.session_scope(inventory_url) as s:
        from provisioning.numbers import allocate_block

        day = date(2026, 5, 4)
        a = allocate_block(s, "paris-hq", 10, actor="t", today=day)
        b = allocate_block(s, "paris-hq", 10, actor="t", today=day)
        s.execute(NumberBlock.__table__.update().where(NumberBlock.id == b.id).values(start=a.start))
    db.dispose_all()
    res = run_cli(["db", "check", "--db", inventory_url, "--format", "json"])
    assert res.code == 1 and any(not r.get("ok", True) for r in json.loads(res.out)), res.out[:500]


RUN_KILLS = 5


def _run_cmd(out: Path) -> list[str]:
    scenario = ROOT / "scenarios" / "allset.yaml"
    return [
        PYTHON,
        "-c",
        "from centrex.cli import main; main()",
        "-q",
        "run",
        str(scenario),
        "--out",
        str(out),
        "--replications",
        "1",
        "--workers",
        "1",
    ]


def _complete(out: Path, expected: set[str]) -> None:
    names = {p.name for p in out.iterdir()}
    assert names == expected, (
        f"incomplete run directory: missing {expected - names}, extra {names - expected}"
    )
    for p in out.iterdir():
        data = p.read_bytes()
        assert data, f"{p.name} is empty"
        if p.suffix == ".json":
            json.loads(data)


def test_run_killed_at_random_points_leaves_nothing_or_everything(tmp_path):
    """SIGKILL `centrex run` (its whole process group) at random instants: the output directory is either
    absent or complete, never half-written."""
    ref = tmp_path / "reference"
    done = subprocess.run(_run_cmd(ref), capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    expected = {p.name for p in ref.iterdir()}
    assert {"events.csv", "incidents.csv", "sla.json", "summary.json"} <= expected
    rng = random.Random(99)
    outcomes = []
    for i in range(RUN_KILLS):
        out = tmp_path / f"killed-{i}"
        p = subprocess.Popen(
            _run_cmd(out),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=tmp_path,
            start_new_session=True,
        )
        time.sleep(rng.uniform(0.2, 8.0))
        os.killpg(p.pid, signal.SIGKILL)  # the run and any worker it started: only our own session
        p.wait(timeout=30)
        if out.exists():
            _complete(out, expected)
            outcomes.append("complete")
        else:
            outcomes.append("absent")
    COUNTS["figure: centrex run SIGKILLed, output absent or complete"] += RUN_KILLS
    print(f"centrex run killed {RUN_KILLS} times: {outcomes}")
