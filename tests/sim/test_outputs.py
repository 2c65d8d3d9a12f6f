"""`--outputs parquet` and `--detail`: the run directory of sim.rundir's schema in each layout."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.dataset as ds
import pytest
import yaml
from sim_helpers import BASE

from centrex.report import load_run, write_report
from sim import rundir
from sim.columnar import arrow_schema
from sim.run import run_scenario
from sim.rundir import Detail, Outputs


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The same 3-replication scenario in the csv/default, parquet/default, csv/all and csv/none layouts."""
    tmp = tmp_path_factory.mktemp("outputs")
    src = tmp / "out.yaml"
    life = {  # every replication has lifecycle.csv rows: cancellations, moves, terminations
        "installs": {"cancel": 0.5},
        "moves": {"rate_per_year": {"alleo": 1.0, "allset": 0.5}},
        "terminations": {"rate_per_year": {"allset": 0.5, "progetcom": 0.5}},
    }
    src.write_text(yaml.safe_dump({**BASE, **life, "name": "out", "replications": 3}, sort_keys=False))
    layouts = {
        "csv": (Outputs.csv, Detail.default),
        "parquet": (Outputs.parquet, Detail.default),
        "all": (Outputs.csv, Detail.all),
        "none": (Outputs.csv, Detail.none),
        "parquet-all": (Outputs.parquet, Detail.all),
    }
    return {
        k: run_scenario(src, out=tmp / k, workers=1, outputs=o, detail=d, finalize=write_report).out
        for k, (o, d) in layouts.items()
    }


def _summary(out: Path) -> dict:
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    s.pop("outputs", None)
    return s


def test_summary_aggregates_every_replication_whatever_the_layout(runs):
    base = _summary(runs["csv"])
    assert base["replications"] == 3 and len(base["per_replication"]) == 3
    for k in ("parquet", "all", "none", "parquet-all"):
        assert _summary(runs[k]) == base, k
    assert "outputs" not in json.loads((runs["csv"] / "summary.json").read_text())  # default: unchanged
    assert json.loads((runs["none"] / "summary.json").read_text())["outputs"] == {
        "format": "csv",
        "detail": "none",
    }


def test_parquet_is_one_dataset_per_table_with_the_csv_rows(runs):
    for t in rundir.TABLES:
        data = ds.dataset(runs["parquet"] / t.name, format="parquet", partitioning="hive")
        table = data.to_table()
        assert set(arrow_schema(t).names) <= set(table.column_names) and "replication" in table.column_names
        csv_rows = pacsv.read_csv(runs["csv"] / t.csv_name).num_rows
        assert table.num_rows == csv_rows, t.name
        reps = sorted(set(table.column("replication").to_pylist()))
        assert reps == ([0, 1, 2] if t.every_replication else [0]), t.name
    ev = ds.dataset(runs["parquet"] / "events", partitioning="hive").to_table().to_pylist()
    first = pacsv.read_csv(runs["csv"] / "events.csv").to_pylist()[0]
    assert ev[0]["down_at"] == first["down_at"]  # the same instant (Parquet keeps the Paris zone)
    assert ev[0]["component"] == first["component"] and ev[0]["total_outage"] == bool(first["total_outage"])


def test_parquet_is_smaller_than_csv(runs):
    def size(d: Path) -> int:
        return sum(p.stat().st_size for p in d.rglob("*") if p.is_file() and p.suffix != ".html")

    assert size(runs["parquet"]) < size(runs["csv"])


def test_detail_all_writes_every_table_for_every_replication(runs):
    out = runs["all"]
    for t in rundir.TABLES:
        lines = (out / t.csv_name).read_text(encoding="utf-8").splitlines()
        assert lines[0].startswith("replication,"), t.name
        if t.name != "porting" or len(lines) > 1:
            assert {ln.split(",", 1)[0] for ln in lines[1:]} == {"0", "1", "2"}, t.name
    # replication 0's rows are the default layout's, with the replication column in front
    default = (runs["csv"] / "incidents.csv").read_text(encoding="utf-8").splitlines()
    mine = (out / "incidents.csv").read_text(encoding="utf-8").splitlines()
    assert ["0," + ln for ln in default[1:]] == [ln for ln in mine[1:] if ln.startswith("0,")]
    assert (out / "sla.json").read_bytes() == (runs["csv"] / "sla.json").read_bytes()
    for k in (1, 2):
        stmts = json.loads((out / rundir.sla_partition(k)).read_text(encoding="utf-8"))["statements"]
        assert set(stmts) == set(json.loads((out / "sla.json").read_text())["statements"])
    assert (runs["parquet-all"] / rundir.sla_partition(2)).read_bytes() == (
        out / rundir.sla_partition(2)
    ).read_bytes()


def test_detail_none_writes_only_summary_scenario_and_report(runs):
    names = {p.name for p in runs["none"].iterdir()}
    assert names == {"summary.json", "scenario.yaml", "scenario.resolved.json", "report.html"}
    html = (runs["none"] / "report.html").read_text(encoding="utf-8")
    assert 'id="liability"' in html and 'id="restoration"' not in html and "--detail none" in html


def test_the_report_reads_every_layout_alike(runs):
    csv_run, pq_run, all_run = (load_run(runs[k]) for k in ("csv", "parquet", "all"))
    assert csv_run.event_kinds == pq_run.event_kinds == all_run.event_kinds
    assert [(o.replication, o.site, o.down_at, o.up_at) for o in csv_run.outages] == [
        (o.replication, o.site, o.down_at, o.up_at) for o in pq_run.outages
    ]

    def plain(rows):  # Parquet rows carry their partition key
        return [{k: v for k, v in r.items() if k != "replication"} for r in rows]

    for name in ("porting", "installs", "incidents"):
        assert getattr(csv_run, name) == plain(getattr(pq_run, name)), name
    assert [{**r, "recurring_fees": float(r["recurring_fees"])} for r in csv_run.billing] == plain(
        pq_run.billing
    )
    assert len(all_run.incidents) == len(csv_run.incidents)  # the report reads replication 0's
    assert len(csv_run.restorations) == len(pq_run.restorations)


def test_a_failure_leaves_nothing(tmp_path):
    src = tmp_path / "fail.yaml"
    src.write_text(yaml.safe_dump({**BASE, "name": "fail", "replications": 2}, sort_keys=False))

    def boom(_tmp: Path) -> None:
        raise RuntimeError("report failed")

    for outputs in Outputs:
        with pytest.raises(RuntimeError):
            run_scenario(src, out=tmp_path / outputs.value, outputs=outputs, finalize=boom)
        assert not (tmp_path / outputs.value).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fail.yaml"]


def test_lifecycle_is_what_replication_0_writes(runs):
    """`lifecycle` (the installs and ports a provisioning run needs) draws what the run directory holds."""
    import csv

    from sim.replication import lifecycle
    from sim.scenario import load_scenario

    s = load_scenario(runs["csv"] / "scenario.yaml")
    life = lifecycle(s, s.seed)
    installs = list(csv.DictReader((runs["csv"] / "installs.csv").open(encoding="utf-8")))
    assert [(r["site"], r["service_start"]) for r in installs] == [
        (x.site, x.service_start.isoformat() if x.service_start else "")
        for _, x in sorted(life.installs.items())
    ]
    ports = list(csv.DictReader((runs["csv"] / "porting.csv").open(encoding="utf-8")))
    assert [(r["mandate"], r["ported_at"]) for r in ports] == [
        (p.mandate, p.ported_at.isoformat() if p.ported_at else "") for p in life.ports
    ]


@pytest.mark.parametrize("site", ["plain-00001", "with,comma", 'with "quote"', "multi\nline"])
def test_columnar_csv_is_what_csv_writer_writes(site):
    """The Arrow-formatted CSV text is csv.writer's, byte for byte, edge values included."""
    import csv
    import io

    import numpy as np

    from contracts.records import NAT
    from sim.columnar import csv_text, text_of

    t = rundir.RESTORATIONS
    n = 6
    cols = {
        "ticket": [f"R000-{k:06d}" for k in range(n)],
        "site": [site] * n,
        "profile": ["alleo"] * n,
        "cause": ["network"] * n,
        "kind": ["router"] * n,
        "notified_at": np.array([0, 1774746000, 1774749600, 1792890000, 1792893600, 1e9], dtype=np.int64),
        "restored_at": np.array(
            [NAT, 1774746001, 1774749601, 1792890001, 1792893601, 1e9 + 7], dtype=np.int64
        ),
        "business_minutes": np.array([0.125, 0.135, 1 / 3, 2 / 3, 1e7 / 60, 12.345]),
        "wallclock_minutes": np.array([0.0, 0.005, 0.015, 1.005, 2.675, 1e-9]),
        "objective_minutes": np.array([np.nan, 240.0, 5760.0, np.nan, 0.5, 1.0]),
        "within_objective": np.array([-1, 0, 1, -1, 1, 0], dtype=np.int8),
    }
    buf = io.StringIO()
    texts = [text_of(c.kind, cols[c.name]) for c in t.written]
    csv.writer(buf, lineterminator="\n").writerows((3, *row) for row in zip(*texts, strict=True))
    assert csv_text(t, cols, 3) == buf.getvalue()
    assert texts[5][0] == "1970-01-01T01:00:00+01:00" and texts[6][0] == ""  # an open ticket
    assert texts[6][1] == "2026-03-29T03:00:01+02:00"  # a second after the spring change
    assert texts[6][3] == "2026-10-25T02:00:01+01:00"  # a second after the autumn change
    money = rundir.BILLING.written[2]
    assert text_of(money.kind, np.array([0, 5, 123456, -7])) == ["0.00", "0.05", "1234.56", "-0.07"]
