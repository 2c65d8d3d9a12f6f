"""`centrex run`: the run directory of run-outputs.md, written atomically; bad input exits 2, no output."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from sim_helpers import write

from contracts.profile import load_profile
from contracts.sla import compute_files
from sim.outputs import HEADERS

CENTREX = [sys.executable, "-m", "centrex.cli"]


def centrex(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([*CENTREX, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """One small run of the base scenario (2 replications, 2 workers)."""
    from sim_helpers import BASE

    tmp = tmp_path_factory.mktemp("run")
    src = write(tmp, {**BASE, "replications": 2})
    p = centrex("run", str(src), "--out", str(tmp / "out"), "--workers", "2", "--format", "json")
    assert p.returncode == 0, p.stderr
    return tmp / "out", json.loads(p.stdout)


def test_run_writes_every_file(run_dir):
    out, _ = run_dir
    names = {p.name for p in out.iterdir()}
    assert names == {
        "scenario.yaml",
        "scenario.resolved.json",
        "events.csv",
        "incidents.csv",
        "billing.csv",
        "installs.csv",
        "porting.csv",
        "restorations.csv",
        "lifecycle.csv",
        "sla.json",
        "summary.json",
        "report.html",
        "inventory.db",  # issue 15: replication 0's fleet provisioned
        "provisioning.json",
    }
    for name, header in HEADERS.items():
        assert (out / name).read_text().splitlines()[0] == header


def _rows(out: Path, name: str) -> list[dict]:
    return list(csv.DictReader((out / name).open(encoding="utf-8")))


def test_events_are_ground_truth_with_total_outage_flags(run_dir):
    out, _ = run_dir
    ev = _rows(out, "events.csv")
    assert {r["replication"] for r in ev} == {"0", "1"}
    kinds = {r["kind"] for r in ev}
    assert {"platform", "access_link", "handset"} <= kinds
    assert {r["cause"] for r in ev if r["kind"] == "platform"} == {"network", "maintenance"}
    assert "force_majeure" in {r["cause"] for r in ev}  # the storm
    # a handset alone is a partial degradation: some handset failures have total_outage 0
    assert any(r["kind"] == "handset" and r["total_outage"] == "0" for r in ev)
    assert all(r["down_at"] < r["up_at"] for r in ev if r["down_at"][:4] == r["up_at"][:4])


def test_incidents_feed_the_sla_engine_and_reproduce_sla_json(run_dir, tmp_path):
    out, _ = run_dir
    sla = json.loads((out / "sla.json").read_text())
    inc = _rows(out, "incidents.csv")
    bill = _rows(out, "billing.csv")
    assert set(sla["statements"]) == {"alleo", "allset", "progetcom", "allocloud"}
    for name, prov in sla["provenance"].items():
        prof = load_profile(name)
        assert prov["sha256"] == prof.sha256
        # per profile: the tickets and bills of its sites, exactly the SLA input format
        for fname, rows in (
            ("i.csv", [r for r in inc if r["profile"] == name]),
            ("b.csv", [r for r in bill if r["profile"] == name]),
        ):
            with (tmp_path / fname).open("w", newline="") as fh:
                w = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else ["x"])
                w.writeheader()
                w.writerows(rows)
        installs = None
        if name == "alleo":
            installs = out / "installs.csv"
        rows = compute_files(prof, tmp_path / "i.csv", tmp_path / "b.csv", installs)
        assert rows == sla["statements"][name], name


def test_summary_has_the_run_outputs_shape(run_dir):
    out, printed = run_dir
    s = json.loads((out / "summary.json").read_text())
    assert printed == s
    assert s["replications"] == 2 and s["seed"] == 11
    assert s["sites"] == {"alleo": 6, "allocloud": 4, "allset": 6, "progetcom": 4}
    agg = s["aggregate"]
    for p in s["sites"]:
        a = agg["availability"][p]
        assert a["ci95"][0] <= a["mean"] <= a["ci95"][1]
        assert set(agg["credits_owed_eur"][p]) == {"mean", "p50", "p95"}
    assert agg["restoration_within_objective"]["allocloud"] is None  # no objective in 004
    # equipment replacement objective: ProgetCom 72 h (002 §4), ALLSET 96 h (001 §4); none for the others
    assert agg["replacement_within_objective"]["alleo"] is None
    for p in ("allset", "progetcom"):
        for r in s["per_replication"]:
            v = r["replacement_within_objective"][p]
            assert v is None or 0.0 <= v <= 1.0
    assert s["choices"]["allset"]["force_majeure_excluded"] is True
    assert s["choices"]["alleo"]["claim_rate"] == 1.0
    assert [r["replication"] for r in s["per_replication"]] == [0, 1]


def test_claim_rate_scales_claimed_credits(tmp_path):
    from sim_helpers import BASE

    data = {**BASE, "replications": 1, "profiles": {"allset": {"set": {"claim_rate": 0.5}}}}
    p = centrex(
        "run", str(write(tmp_path, data)), "--out", str(tmp_path / "o"), "--format", "json", "--workers", "1"
    )
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout)["per_replication"][0]
    assert r["credits_claimed_eur"]["allset"] == pytest.approx(
        r["credits_owed_eur"]["allset"] * 0.5, abs=0.01
    )


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (lambda d: d["site_groups"][0].update(colour="red"), "site_groups.0.colour: unknown key"),
        (lambda d: d["failures"]["router"].update(mtbf_hours=0), "failures.router.mtbf_hours"),
        (lambda d: d.update(start="2026-02-30"), "start:"),
        (lambda d: d["site_groups"][1].update(profile="nope"), "site_groups.1.profile: unknown profile"),
    ],
)
def test_bad_input_exits_2_and_leaves_no_output(tmp_path, edit, needle):
    import copy

    from sim_helpers import BASE

    data = copy.deepcopy(BASE)
    edit(data)
    src = write(tmp_path, data)
    p = centrex("run", str(src), "--out", str(tmp_path / "out"))
    assert p.returncode == 2
    assert p.stdout == ""
    assert needle in p.stderr and p.stderr.startswith("error: ") and len(p.stderr.splitlines()) == 1
    assert sorted(x.name for x in tmp_path.iterdir()) == ["t.yaml"]


def test_invalid_yaml_exits_2(tmp_path):
    src = tmp_path / "t.yaml"
    src.write_text("name: [x\n")
    p = centrex("run", str(src), "--out", str(tmp_path / "out"))
    assert p.returncode == 2 and "invalid YAML" in p.stderr
    assert not (tmp_path / "out").exists()


def test_existing_out_dir_is_refused(tmp_path):
    from sim_helpers import BASE

    (tmp_path / "out").mkdir()
    p = centrex("run", str(write(tmp_path, BASE)), "--out", str(tmp_path / "out"))
    assert p.returncode == 2 and "already exists" in p.stderr


def test_default_out_dir_is_runs_scenario_timestamp(tmp_path):
    from sim_helpers import BASE

    src = write(tmp_path, {**BASE, "replications": 1, "site_groups": BASE["site_groups"][:1]})
    p = centrex("--quiet", "run", str(src), "--workers", "1", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    made = list((tmp_path / "runs").iterdir())
    assert len(made) == 1 and made[0].name.startswith("t-")
    assert (made[0] / "summary.json").exists()


def test_validate_prints_one_row_per_topology(tmp_path):
    from sim_helpers import BASE

    p = centrex("validate", str(write(tmp_path, BASE)), "--replications", "3", "--format", "json")
    assert p.returncode == 0, p.stderr
    rows = json.loads(p.stdout)
    assert [r["topology"] for r in rows] == ["sdsl", "sdsl+adsl"]
    assert all(r["ci99_lo"] <= r["simulated_pct"] <= r["ci99_hi"] for r in rows)


def test_out_dir_under_a_file_is_bad_input(tmp_path):
    from sim_helpers import BASE

    (tmp_path / "file").write_text("x")
    p = centrex("run", str(write(tmp_path, BASE)), "--out", str(tmp_path / "file" / "out"))
    assert p.returncode == 2 and "--out" in p.stderr
