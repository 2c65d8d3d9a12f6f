"""`centrex run --db postgresql://…` (issue 15 item 3): the run provisions its fleet into PostgreSQL,
one transaction per step; the inventory holds; a non-empty inventory is refused before simulating."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "centrex"))
from fleet_scenario import write  # noqa: E402


def _cli(*args) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "centrex.cli", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=600,
    )


@pytest.mark.postgres
def test_run_provisions_into_postgres(pg_cluster, tmp_path):
    url = pg_cluster.new_database()
    scenario = write(tmp_path)
    r = _cli("run", scenario, "--out", tmp_path / "run", "--workers", "1", "--db", url, "-n", "1")
    assert r.returncode == 0, r.stderr
    assert not (tmp_path / "run" / "inventory.db").exists()
    assert (tmp_path / "run" / "provisioning.json").is_file()
    check = _cli("db", "check", "--db", url)
    assert check.returncode == 0, check.stdout + check.stderr
    blocks = _cli("numbers", "list", "--db", url, "--format", "csv")
    assert blocks.returncode == 0 and blocks.stdout.count("\n") > 5 and ",sim," in blocks.stdout
    again = _cli("run", scenario, "--out", tmp_path / "again", "--db", url, "-n", "1")
    assert again.returncode == 2 and "already has sites" in again.stderr
    assert not (tmp_path / "again").exists()


@pytest.mark.postgres
def test_lifecycle_run_into_postgres_keeps_the_invariants(pg_cluster, tmp_path):
    """Issue 16: moves (a savepoint each) and terminations applied in PostgreSQL; `db check` holds and
    the sites end as on SQLite."""
    import csv

    url = pg_cluster.new_database()
    scenario = REPO / "scenarios" / "lifecycle.yaml"
    r = _cli("run", scenario, "--out", tmp_path / "pg", "--db", url, "-n", "1")
    assert r.returncode == 0, r.stderr
    check = _cli("db", "check", "--db", url)
    assert check.returncode == 0, check.stdout + check.stderr
    local = _cli("run", scenario, "--out", tmp_path / "lite", "-n", "1")
    assert local.returncode == 0, local.stderr
    sites = [
        _cli("inventory", "sites", "--db", db, "--format", "csv").stdout
        for db in (url, tmp_path / "lite" / "inventory.db")
    ]
    assert sites[0] == sites[1] and sites[0].count("\n") > 80
    figures = [(tmp_path / d / "provisioning.json").read_text() for d in ("pg", "lite")]
    assert figures[0] == figures[1] and '"terminated"' in figures[0]
    with (tmp_path / "pg" / "lifecycle.csv").open(encoding="utf-8") as fh:
        assert any(e["event"] == "move" and e["keeps_numbers"] == "0" for e in csv.DictReader(fh))
