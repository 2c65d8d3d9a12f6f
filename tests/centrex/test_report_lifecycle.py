"""The report's lifecycle and tickets sections (issue 16): moves, terminations with their fees, billed
cancellations, provider-detected tickets, 48-hour non-responses, objectives — from lifecycle.csv,
incidents.csv and summary.json."""

from __future__ import annotations

import csv
import re

import pytest
from test_report import plots_in, rewrite_csv

from centrex.report import load_run, write_report
from centrex.report.lifecycle import lifecycle, tickets
from centrex.report.sections import profiles_in_force
from contracts.errors import InputError


def _hours(a: str, b: str) -> float:
    from datetime import datetime

    return (datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds() / 3600


def cells(html: str, table_id: str) -> list[list[str]]:
    """The body rows of a table of the page, as cell texts."""
    body = re.search(rf'<table[^>]*id="{table_id}".*?<tbody>(.*?)</tbody>', html, re.S)[1]
    return [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def test_lifecycle_section_lists_every_event_with_its_fee(run_dir):
    run = load_run(run_dir)
    section = lifecycle(run, profiles_in_force(run))
    events = next(t for t in section.tables if t.id == "table-lifecycle-events")
    assert len(events.rows) == 9
    by = {(r[0], r[2], r[3]): r for r in events.rows}
    before_start = by[("LEO-000", "termination", "2026-01-20")]
    assert before_start[5:7] == ["yes", "300.00 €"] and "000 §6.4" in before_start[9]
    assert by[("LEO-003", "move", "2026-02-15")][7:9] == ["92", "kept"]
    assert by[("LEO-004", "move", "2026-03-02")][7:9] == ["67", "new block"]
    billed, free = (
        by[("LEO-005", "cancellation", "2026-01-12")],
        by[("LEO-005", "cancellation", "2026-01-02")],
    )
    assert billed[4:7] == ["2026-01-13 09:00", "yes", "120.00 €"] and free[5:7] == ["no", "—"]
    # the allset move is a move row and a termination row: its seed has no move clause
    assert "3 moves, 3 terminations and 3 cancelled install appointments (2 billed" in section.intro
    assert "20,490.00 € billed in all" in section.intro


def test_lifecycle_figures_are_the_summary_s_per_profile(run_dir):
    run = load_run(run_dir)
    rows = lifecycle(run, profiles_in_force(run)).tables[0].rows
    by = {(r[0], r[1]): r for r in rows}
    agg = run.summary["aggregate"]["termination_fees_eur"]["alleo"]
    fees = by[("alleo", "early-termination fees")]
    assert (
        fees[2] == "12,520.00 €" and fees[4] == f"{agg['p50']:,.2f} €" and fees[5] == f"{agg['p95']:,.2f} €"
    )
    assert by[("progetcom", "cancellations billed")][2] == "1"  # the fixture's replication 0
    assert by[("allocloud", "terminations")][2] == "0"  # every profile, every figure of the summary
    assert len(rows) == 4 * 7


def test_tickets_section_counts_detection_and_waits(run_dir):
    run = load_run(run_dir)
    with (run_dir / "incidents.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    pgc = [r for r in rows if r["profile"] == "progetcom"]
    section = tickets(run, profiles_in_force(run))
    table = {r[0]: r for r in next(t for t in section.tables if t.id == "table-tickets").rows}
    assert table["progetcom"][1:] == [
        str(len(pgc)),
        str(sum(r["detected_by"] == "provider" for r in pgc)),
        str(sum(bool(r["pending_since"]) for r in pgc)),
        str(sum(bool(r["pending_since"]) and not r["answered_at"] for r in pgc)),
        # 002 §4 under `non_response_restores_at: request` (the default): no answer within 48 h, the
        # failure is deemed resolved at the request when that comes before the real restoration
        str(
            sum(
                bool(r["pending_since"])
                and (not r["answered_at"] or _hours(r["pending_since"], r["answered_at"]) > 48)
                and r["pending_since"] < r["restored_at"]
                for r in pgc
            )
        ),
    ]
    figures = {(r[0], r[1]): r for r in section.tables[0].rows}
    assert figures[("progetcom", "48-hour non-responses")][2] == "2"
    assert figures[("alleo", "tickets opened on detection")][2] == "3"
    objectives = {r[0]: r for r in next(t for t in section.tables if t.id == "table-objectives").rows}
    assert objectives["alleo"][1] == "50.0 % (40.0–60.0)"
    assert "count towards availability" in section.intro  # ALLSET's provider_detected_counts default


def test_objectives_of_the_tickets_are_the_engine_s(run_dir):
    """The report's met/missed counts are check_objectives' on the file as the engine reads it
    (contracts.records.read_incidents), profile by profile."""
    import numpy as np

    from contracts.objectives import check_objectives
    from contracts.records import read_incidents, subset

    run = load_run(run_dir)
    profiles = profiles_in_force(run)
    section = tickets(run, profiles)
    got = {r[0]: r for r in next(t for t in section.tables if t.id == "table-objectives-tickets").rows}
    engine = read_incidents(run_dir / "incidents.csv")
    with (run_dir / "incidents.csv").open(encoding="utf-8") as fh:
        owner = [r["profile"] for r in csv.DictReader(fh)]
    for name in ("alleo", "allset", "progetcom"):
        res = check_objectives(profiles[name], subset(engine, np.flatnonzero(np.array(owner) == name)))
        status = res.restoration_status.tolist()
        assert got[name][1:4] == [str(status.count(k)) for k in ("met", "missed", "open")], name
        assert got[name][4] == res.restoration_clause
    assert int(got["alleo"][3]) == 1  # the open ticket T99999 (network counts under ALLEO)
    assert "000 §5.4" in got["alleo"][4]
    # no diagnosed_at/replaced_at columns in this file: replacement is not measurable, never guessed
    assert got["progetcom"][5:7] == ["0", "0"] and int(got["progetcom"][7]) > 0


def test_report_shows_the_sections_with_plotted_data(run_dir):
    html = write_report(run_dir).read_text(encoding="utf-8")
    for sid in ("lifecycle", "tickets"):
        assert f'<section class="report" id="{sid}"' in html
    found = plots_in(html)
    assert found["plot-lifecycle-events"] == 4 + 2 + 1  # non-zero bars: alleo 4 series, allset 2, progetcom 1
    assert found["plot-tickets-detected"] > 0 and found["plot-tickets-pending"] > 0
    assert found["plot-termination-fees"] > 0
    assert len(cells(html, "table-lifecycle-events")) == 9
    assert cells(html, "table-sites") == [["in_service", "14"], ["moved", "2"], ["terminated", "3"]]


def test_a_run_without_lifecycle_events_says_so(run_dir):
    rewrite_csv(run_dir / "lifecycle.csv", [])
    html = write_report(run_dir).read_text(encoding="utf-8")
    assert plots_in(html)["plot-lifecycle-events"] == 0
    assert "no move, termination or cancelled appointment in this run" in html


def test_a_bad_lifecycle_cell_is_named(run_dir):
    with (run_dir / "lifecycle.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    rows[3]["billed"] = "maybe"
    rewrite_csv(run_dir / "lifecycle.csv", rows)
    with pytest.raises(InputError, match=r"lifecycle\.csv:5: billed: bad value 'maybe'") as exc:
        load_run(run_dir)
    assert "expected 0/1 or true/false" in str(exc.value)
    (run_dir / "lifecycle.csv").unlink()
    with pytest.raises(InputError, match=r"missing: lifecycle\.csv"):
        load_run(run_dir)


def test_lifecycle_scenario_report_shows_each_kind_of_event(lifecycle_run):
    """Done-when of issue 16: `centrex run scenarios/lifecycle.yaml` shows moves, terminations with their
    fees, billed cancellations, provider-detected tickets and 48-hour non-responses."""
    html = (lifecycle_run / "report.html").read_text(encoding="utf-8")
    events = cells(html, "table-lifecycle-events")
    kinds = {(r[2], r[5]) for r in events}
    assert {("move", "yes"), ("termination", "yes"), ("cancellation", "yes"), ("cancellation", "no")} <= kinds
    assert any(r[2] == "termination" and r[6].endswith("€") and "000 §6" in r[9] for r in events)
    with (lifecycle_run / "lifecycle.csv").open(encoding="utf-8") as fh:
        assert len(events) == min(200, sum(1 for _ in fh) - 1)
    # replication 0's tickets agree with the summary the simulation wrote (the same engine functions)
    figures = {(r[0], r[1]): r[2] for r in cells(html, "table-tickets-figures")}
    for row in cells(html, "table-tickets"):
        assert figures[(row[0], "tickets opened on detection")] == row[2], row
        assert figures[(row[0], "48-hour non-responses")] == row[5], row
    assert int(figures[("progetcom", "48-hour non-responses")]) > 0
    assert int(figures[("alleo", "tickets opened on detection")]) > 0


def test_parquet_outputs_give_the_same_sections(lifecycle_run, tmp_path):
    """The sections read lifecycle.csv and incidents.csv through sim.rundir: a Parquet run directory of
    the same scenario and seed gives the same tables."""
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    out = tmp_path / "pq"
    cmd = [sys.executable, "-m", "centrex.cli", "-q", "run", str(repo / "scenarios" / "lifecycle.yaml")]
    cmd += ["--replications", "2", "--outputs", "parquet", "--out", str(out)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    for build in (lifecycle, tickets):
        a, b = (load_run(d) for d in (lifecycle_run, out))
        assert [t.rows for t in build(a, profiles_in_force(a)).tables] == [
            t.rows for t in build(b, profiles_in_force(b)).tables
        ], build.__name__


def test_a_listed_event_that_could_not_happen_is_shown_not_counted(run_dir):
    from sim.changes import NOT_ORDERED

    with (run_dir / "lifecycle.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    rows.append({**rows[0], "site": "LEO-001", "billed": "0", "fee_eur": "", "clause": NOT_ORDERED})
    rewrite_csv(run_dir / "lifecycle.csv", rows)
    run = load_run(run_dir)
    section = lifecycle(run, profiles_in_force(run))
    assert "3 moves, 3 terminations and 3 cancelled" in section.intro  # as before: not counted
    assert "1 listed events could not happen: their rows say why." in section.intro
    shown = next(t for t in section.tables if t.id == "table-lifecycle-events").rows
    assert [r[9] for r in shown if r[0] == "LEO-001"] == [NOT_ORDERED]
