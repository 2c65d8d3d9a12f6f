"""`centrex sweep`: the sweep directory (sweep.json, sweep.csv, sweep.html, points/ when kept), the same
bytes whatever the workers (pool or Dask), the recommendation, and bad input as one error with no output."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from distributed import LocalCluster
from sim_helpers import BASE, write

from sim.run import run_scenario
from sim.rundir import Detail, Outputs
from sim.scenario import load_scenario
from sim.sweep import run_sweep

CENTREX = [sys.executable, "-m", "centrex.cli"]
VARY = ["--vary", "repair.crews.r1=1,3", "--vary", "site_groups.a.backup_link=false,true"]
OBJECTIVE = "availability.allset.mean >= 99.5"


def centrex(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CENTREX, *args], capture_output=True, text=True, timeout=600)


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """A 2 × 2 sweep of the base scenario, 3 replications per point, on 2 workers, points kept."""
    tmp = tmp_path_factory.mktemp("sweep")
    src = write(tmp, {**BASE, "replications": 3})
    args = [*VARY, "--objective", OBJECTIVE, "--minimise", "repair.crews.r1", "--keep-points"]
    p = centrex("sweep", str(src), *args, "--workers", "2", "--out", str(tmp / "out"))
    assert p.returncode == 0, p.stderr
    return src, tmp / "out", p.stdout


def test_sweep_directory(swept):
    _src, out, _stdout = swept
    assert {p.name for p in out.iterdir()} == {"sweep.json", "sweep.csv", "sweep.html", "points"}
    doc = json.loads((out / "sweep.json").read_text())
    assert doc["replications"] == 3 and doc["seed"] == BASE["seed"]
    assert doc["vary"] == [
        {"key": "repair.crews.r1", "path": "repair.crews.r1", "values": [1, 3]},
        {"key": "site_groups.a.backup_link", "path": "site_groups.0.backup_link", "values": [False, True]},
    ]
    assert [p["values"] for p in doc["points"]] == [
        {"repair.crews.r1": 1, "site_groups.a.backup_link": False},
        {"repair.crews.r1": 1, "site_groups.a.backup_link": True},
        {"repair.crews.r1": 3, "site_groups.a.backup_link": False},
        {"repair.crews.r1": 3, "site_groups.a.backup_link": True},
    ]
    for p in doc["points"]:
        agg = p["aggregate"]
        for prof in ("alleo", "allset", "progetcom"):
            a = agg["availability"][prof]
            assert a["ci95"][0] <= a["mean"] <= a["ci95"][1] <= 100
            owed = agg["credits_owed_eur"][prof]
            assert {"mean", "p50", "p95", "ci95", "p50_ci95", "p95_ci95"} <= set(owed)
            assert agg["credits_claimed_eur"][prof]["p95"] <= owed["p95"] + 1e-9
        assert set(agg["install_credits_eur"]) >= {"mean", "p50", "p95", "ci95"}
        assert set(agg["installs_terminated"]) == {"mean", "ci95"}
        assert p["objectives"][0]["objective"] == OBJECTIVE
        assert p["objectives"][0]["met"] == (agg["availability"]["allset"]["mean"] >= 99.5)
    zero = doc["points"][0]["paired_vs_point_0"]
    assert zero["availability"]["allset"] == {"mean": 0.0, "ci95": [0.0, 0.0]}  # point 0 minus itself
    for p in doc["points"][1:]:  # the paired mean difference is the difference of the two means
        for key in ("availability", "credits_owed_eur", "credits_claimed_eur"):
            for prof, d in p["paired_vs_point_0"][key].items():
                means = [q["aggregate"][key][prof]["mean"] for q in (doc["points"][0], p)]
                assert d["ci95"][0] <= d["mean"] <= d["ci95"][1]
                assert abs(d["mean"] - (means[1] - means[0])) < 1e-4 + 0.01 * (key != "availability")
    rows = list(csv.DictReader((out / "sweep.csv").open(encoding="utf-8")))
    assert len(rows) == 4
    first = doc["points"][0]["aggregate"]
    assert float(rows[0]["availability.allset.mean"]) == first["availability"]["allset"]["mean"]
    assert float(rows[0]["credits_owed_eur.allset.p95"]) == first["credits_owed_eur"]["allset"]["p95"]
    assert rows[1]["site_groups.a.backup_link"] == "true"
    assert rows[0]["objective.1.met"] in ("true", "false")
    assert (
        float(rows[3]["paired_vs_point_0.credits_owed_eur.allset.mean"])
        == (doc["points"][3]["paired_vs_point_0"]["credits_owed_eur"]["allset"]["mean"])
    )


def test_kept_points_are_full_run_directories(swept):
    _src, out, _stdout = swept
    doc = json.loads((out / "sweep.json").read_text())
    for p in doc["points"]:
        d = out / p["dir"]
        assert d.parent.name == "points"
        names = {x.name for x in d.iterdir()}
        assert {"events.csv", "restorations.csv", "sla.json", "summary.json", "report.html"} <= names
        summary = json.loads((d / "summary.json").read_text())
        assert summary["replications"] == 3
        for key, value in summary["aggregate"].items():
            if isinstance(value, dict) and all(isinstance(v, dict) for v in value.values()):
                for prof, stats in value.items():
                    for leaf, x in stats.items():
                        assert p["aggregate"][key][prof][leaf] == x, (key, prof, leaf)
        s = load_scenario(d / "scenario.yaml")  # the point's own scenario, valid on its own
        assert s.repair.crews["r1"] == p["values"]["repair.crews.r1"]
        assert s.site_groups[0].backup_link == p["values"]["site_groups.a.backup_link"]


def test_kept_point_is_the_run_writers_directory(tmp_path):
    """A kept point, Parquet partitions written by two pool workers, is the same bytes as `centrex run`
    of that point's own scenario.yaml (one schema, one writer)."""
    src = write(tmp_path, {**BASE, "replications": 3})
    out = run_sweep(
        src,
        ["repair.crews.r1=1,3"],
        out=tmp_path / "sw",
        workers=2,
        keep_points=True,
        outputs=Outputs.parquet,
        detail=Detail.all,
        finalize_point=_report,
    ).out
    point = out / "points" / "001"
    assert (point / "events" / "replication=2" / "part-0.parquet").is_file()
    assert (point / "sla" / "replication=1.json").is_file()
    assert json.loads((point / "summary.json").read_text())["outputs"] == {
        "format": "parquet",
        "detail": "all",
    }
    ran = run_scenario(
        point / "scenario.yaml",
        out=tmp_path / "run",
        workers=2,
        outputs=Outputs.parquet,
        detail=Detail.all,
        finalize=_report,
    ).out
    assert tree(point) == tree(ran)
    assert not [x for x in (out / "points").iterdir() if x.name.startswith(".")]  # no writer's temporary left


def test_failed_sweep_leaves_nothing(tmp_path):
    """All or nothing: a point's writer failing after replications ran leaves no sweep directory."""
    src = write(tmp_path, {**BASE, "replications": 2})

    def boom(_tmp):
        raise RuntimeError("report failed")

    with pytest.raises(RuntimeError, match="report failed"):
        run_sweep(src, ["repair.crews.r1=1,2"], out=tmp_path / "sw", keep_points=True, finalize_point=boom)
    assert sorted(x.name for x in tmp_path.iterdir()) == ["t.yaml"]


def test_outputs_need_keep_points(tmp_path):
    src = write(tmp_path, BASE)
    args = ["--vary", "repair.crews.r1=1,2", "--outputs", "parquet", "--out", str(tmp_path / "out")]
    p = centrex("sweep", str(src), *args)
    assert p.returncode == 2 and "--outputs: only applies to the points' run directories" in p.stderr
    assert not (tmp_path / "out").exists()


def test_recommendation_printed(swept):
    _src, out, stdout = swept
    doc = json.loads((out / "sweep.json").read_text())
    rec = doc["recommendation"]
    meeting = [p for p in doc["points"] if p["objectives"][0]["met"]]
    if meeting:
        best = min(meeting, key=lambda p: (p["values"]["repair.crews.r1"], p["point"]))
        assert rec["met"] and rec["point"] == best["point"]
        assert f"recommendation: repair.crews.r1={best['values']['repair.crews.r1']}" in stdout
    else:
        assert not rec["met"] and f"no point meets {OBJECTIVE}" in stdout
    assert f"  {OBJECTIVE}: " in stdout and "95 % CI" in stdout


def test_same_seed_same_bytes_whatever_the_workers(swept, tmp_path):
    src, out, _ = swept
    one = run_sweep(
        src,
        VARY[1::2],
        out=tmp_path / "one",
        workers=1,
        objectives=[OBJECTIVE],
        minimise="repair.crews.r1",
        keep_points=True,
        finalize=_html,
        finalize_point=_report,
    ).out
    with LocalCluster(n_workers=1, processes=False, threads_per_worker=2, dashboard_address=None) as cluster:
        dask = run_sweep(
            src,
            VARY[1::2],
            out=tmp_path / "dask",
            scheduler=cluster.scheduler_address,
            objectives=[OBJECTIVE],
            minimise="repair.crews.r1",
            keep_points=True,
            finalize=_html,
            finalize_point=_report,
        ).out
    assert tree(one) == tree(out)
    assert tree(dask) == tree(out)


def _html(tmp, sweep):
    from centrex.report.sweep import write_sweep_html

    write_sweep_html(tmp, sweep)


def _report(tmp):
    from centrex.report import write_report

    write_report(tmp)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--vary", "repair.crews.r1=1,0"], "repair.crews.r1: Input should be greater than 0 (sweep point"),
        (["--vary", "site_groups.zz.count=1,2"], "--vary site_groups.zz.count: site_groups has no item 'zz'"),
        (["--vary", "repair.crews.r1=1,2", "--objective", "credits_owed_eur.allst.p95 <= 2"], "allst"),
        (["--vary", "repair.crews.r1=1,2", "--minimise", "repair.crews.r2"], "not a varied key"),
        (["--vary", "repair.crews.r1=1,2", "--minimise", "repair.crews.r1"], "give the --objective"),
        (["--vary", "repair.crews.r1=1..3", "--workers", "0"], "--workers: must be at least 1"),
    ],
)
def test_bad_input_is_one_line_exit_2_no_output(tmp_path, args, message):
    src = write(tmp_path, {**BASE, "replications": 2})
    p = centrex("sweep", str(src), *args, "--out", str(tmp_path / "out"))
    assert p.returncode == 2, p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], p.stderr
    assert not (tmp_path / "out").exists()
    assert [x.name for x in tmp_path.iterdir()] == ["t.yaml"]  # no temporary directory left either


def test_existing_output_is_refused(tmp_path):
    src = write(tmp_path, BASE)
    (tmp_path / "out").mkdir()
    p = centrex("sweep", str(src), "--vary", "repair.crews.r1=1,2", "--out", str(tmp_path / "out"))
    assert p.returncode == 2 and "output directory already exists" in p.stderr
    assert list((tmp_path / "out").iterdir()) == []
