"""`centrex usage audit`: formats, flags on a generated file, bad rows (exit 2, file:line: field)."""

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.cdrs import synthetic_cdrs


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "centrex.cli", *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def cdrs(tmp_path_factory) -> Path:
    f = tmp_path_factory.mktemp("usage") / "cdrs.csv"
    with f.open("wb") as fh:
        for block in synthetic_cdrs(20_000, users=15, seed=3):
            fh.write(block)
    return f


def test_audit_json_progetcom(cdrs):
    r = run("usage", "audit", "--contract", "progetcom", "--cdrs", str(cdrs), "--format", "json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["records"] == 20_000 and data["users"] == 15
    flags = {(x["user"], x["month"]): x["flags"] for x in data["flagged"]}
    assert "over_150_numbers" in flags[("u0000", "2026-03")]
    assert "gateway" in flags[("u0003", "2026-03")]
    assert data["totals"]["penalty_eur"] > 0
    assert any("44" in n for n in data["notes"])


def test_audit_csv_allset_and_rate_option(cdrs):
    r = run(
        "usage",
        "audit",
        "--contract",
        "allset",
        "--cdrs",
        str(cdrs),
        "--rate",
        "national_fixed=1",
        "--format",
        "csv",
    )
    assert r.returncode == 0, r.stderr
    first, body = r.stdout.split("\n", 1)
    assert first.startswith("# profile=allset") and "national_fixed=1" in first
    rows = list(csv.DictReader(io.StringIO(body)))
    assert rows and all(r["flags"] for r in rows)
    for row in rows:  # 1 €/min: the retro amount is the national fixed minutes
        assert float(row["retro_national_fixed_eur"]) == int(row["national_fixed_minutes"])


def test_audit_bad_row_exit_2(tmp_path):
    f = tmp_path / "bad.csv"
    f.write_text(
        "caller_user,callee,start,duration_s,device_kind\n"
        "a,0145678912,2026-03-03T09:00:00,60,handset\n"
        "a,0145678912,2026-03-03T09:00:00,sixty,handset\n",
        encoding="utf-8",
    )
    r = run("usage", "audit", "--contract", "allset", "--cdrs", str(f))
    assert r.returncode == 2 and r.stdout == ""
    assert f"{f}:3: duration_s:" in r.stderr


def test_audit_missing_file_and_wrong_contract(tmp_path):
    r = run("usage", "audit", "--contract", "allset", "--cdrs", str(tmp_path / "none.csv"))
    assert r.returncode == 2 and "cannot read" in r.stderr
    f = tmp_path / "c.csv"
    f.write_text("caller_user,callee,start,duration_s,device_kind\n", encoding="utf-8")
    r = run("usage", "audit", "--contract", "allocloud", "--cdrs", str(f))
    assert r.returncode == 2 and "fair-use" in r.stderr
