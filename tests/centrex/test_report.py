"""The run report: built from a run directory's files, one offline HTML file, clear errors on bad input."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rb_harness import budget

from centrex.report import REQUIRED_FILES, load_run, render_capacity_html, write_report
from centrex.report.sections import (
    UNATTRIBUTED,
    credits_by_cause,
    installs,
    merged_minutes,
    profiles_in_force,
    restoration,
)
from contracts.errors import InputError
from contracts.profile import load_profile

SECTION_IDS = [
    "availability",
    "worst-sites",
    "credits",
    "liability",
    "restoration",
    "tickets",
    "installs",
    "lifecycle",
    "porting",
    "scenario",
]


def centrex(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "centrex.cli", *args], capture_output=True, text=True)


def rewrite_csv(path: Path, rows: list[dict]) -> None:
    """Replace the data rows of a CSV file, keeping its header."""
    with path.open(newline="", encoding="utf-8") as fh:
        header = next(csv.reader(fh))
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def plots_in(html: str) -> dict[str, int]:
    """{plot id: data-points} of every chart in the page."""
    return {m[0]: int(m[1]) for m in re.findall(r'<svg [^>]*id="([^"]+)" data-points="(\d+)"', html)}


def test_write_report_has_every_section_with_plotted_data(run_dir):
    out = write_report(run_dir)
    assert out == run_dir / "report.html"
    html = out.read_text(encoding="utf-8")
    for sid in SECTION_IDS:
        assert f'<section class="report" id="{sid}"' in html
    found = plots_in(html)
    for pid in [
        "plot-availability",
        "plot-worst-sites",
        "plot-credits-alleo",
        "plot-liability-total",
        "plot-porting-outcomes",
        "plot-porting-delays",
        "plot-installs-alleo",
    ]:
        assert found[pid] > 0, pid
    assert any(p.startswith("plot-restoration-") and n > 0 for p, n in found.items())
    assert found["plot-credits-allocloud"] == 0  # no credit at all: an explicit empty chart


def test_report_is_one_offline_file(run_dir):
    html = write_report(run_dir).read_text(encoding="utf-8")
    assert "<script" not in html
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "<link" not in html


def test_report_bytes_are_the_same_for_the_same_run(run_dir, tmp_path):
    a = write_report(run_dir, tmp_path / "a.html").read_bytes()
    b = write_report(run_dir, tmp_path / "b.html").read_bytes()
    assert a == b


def test_thresholds_and_percentiles_are_marked(run_dir):
    html = write_report(run_dir).read_text(encoding="utf-8")
    liability = re.search(r'<svg [^>]*id="plot-liability-total".*?</svg>', html, re.S)[0]
    run = load_run(run_dir)
    totals = [sum(r["credits_owed_eur"].values()) for r in run.summary["per_replication"]]
    p50, p95 = np.percentile(totals, [50, 95])
    assert f'data-label="P50" data-value="{float(p50)!r}"' in liability
    assert f'data-label="P95" data-value="{float(p95)!r}"' in liability
    installs_svg = re.search(r'<svg [^>]*id="plot-installs-alleo".*?</svg>', html, re.S)[0]
    assert 'data-label="threshold" data-value="20.0"' in installs_svg  # from the ALLEO profile (000 §5.2)
    avail = re.search(r'<svg [^>]*id="plot-availability".*?</svg>', html, re.S)[0]
    assert 'data-label="objective" data-value="99.75"' in avail and 'data-value="99.0"' in avail


def test_missing_files_are_named_in_one_error(run_dir):
    (run_dir / "events.csv").unlink()
    (run_dir / "porting.csv").unlink()
    with pytest.raises(InputError, match=r"missing: events\.csv, porting\.csv"):
        write_report(run_dir)
    assert not (run_dir / "report.html").exists()


def test_cli_missing_file_is_one_line_exit_2_nothing_written(run_dir, tmp_path):
    (run_dir / "sla.json").unlink()
    out = tmp_path / "r.html"
    r = centrex("report", str(run_dir), "--out", str(out))
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr.strip().count("\n") == 0
    assert "missing: sla.json" in r.stderr and "Traceback" not in r.stderr
    assert not out.exists()


def test_cli_writes_report(run_dir, tmp_path):
    out = tmp_path / "sub" / "r.html"
    r = centrex("report", str(run_dir), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    assert str(out) in r.stderr
    assert 'id="liability"' in out.read_text(encoding="utf-8")


def test_every_required_file_is_checked(run_dir):
    for name in REQUIRED_FILES:
        assert (run_dir / name).is_file(), name


def test_not_a_directory(tmp_path):
    with pytest.raises(InputError, match="not a run directory"):
        write_report(tmp_path / "nope")


def test_missing_column_names_file_line_and_field(run_dir):
    path = run_dir / "restorations.csv"
    text = path.read_text(encoding="utf-8").replace("within_objective", "within", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as err:
        write_report(run_dir)
    assert str(err.value).startswith(f"{path}:1: within_objective: missing column")


def test_bad_value_names_its_line(run_dir):
    path = run_dir / "porting.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace(lines[3].split(",")[2], "yesterday")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        write_report(run_dir)
    assert str(err.value).startswith(f"{path}:4: submitted_at: bad value 'yesterday'")


def test_bad_summary_json_is_an_input_error(run_dir):
    (run_dir / "summary.json").write_text('{"scenario": "x"', encoding="utf-8")
    with pytest.raises(InputError, match="summary.json:1: not valid JSON"):
        write_report(run_dir)
    (run_dir / "summary.json").write_text('{"scenario": "x"}', encoding="utf-8")
    with pytest.raises(InputError, match="summary.json: seed: Field required"):
        write_report(run_dir)


def test_malformed_json_fields_are_named(run_dir):
    sla = json.loads((run_dir / "sla.json").read_text(encoding="utf-8"))
    sla["statements"]["alleo"][2]["month"] = "2026-13"
    (run_dir / "sla.json").write_text(json.dumps(sla), encoding="utf-8")
    with pytest.raises(InputError, match=r"sla.json: statements\.alleo\[2\]\.month: String should match"):
        write_report(run_dir)
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    summary["per_replication"][1]["credits_owed_eur"]["allset"] = "lots"
    (run_dir / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    with pytest.raises(InputError, match=r"summary.json: per_replication\[1\]\.credits_owed_eur\.allset"):
        write_report(run_dir)


def test_unknown_cause_names_file_and_line(run_dir):
    path = run_dir / "incidents.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace(",network,", ",gremlins,").replace(",access_link,", ",gremlins,")
    lines[2] = lines[2].replace(",router,", ",gremlins,")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        write_report(run_dir)
    assert str(err.value).startswith(f"{path}:3: cause: bad value 'gremlins' (unknown cause")


JUNK = st.sampled_from([None, "x", -1, 0, 1e308, [], {}, "2026-02", True])


def _leaves(value, path=()):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, (*path, i))
    yield path


@settings(max_examples=budget(25), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_damaged_json_value_is_an_input_error_or_a_report(run_dir, tmp_path, data):
    """Replace one value anywhere in summary.json or sla.json: the report is built or the error is an
    InputError (one line, exit 2) — never a crash."""
    name = data.draw(st.sampled_from(["summary.json", "sla.json"]))
    original = (run_dir / name).read_text(encoding="utf-8")
    doc = json.loads(original)
    paths = [p for p in _leaves(doc) if p]
    target = data.draw(st.sampled_from(paths))
    node = doc
    for key in target[:-1]:
        node = node[key]
    node[target[-1]] = data.draw(JUNK)
    (run_dir / name).write_text(json.dumps(doc), encoding="utf-8")
    try:
        write_report(run_dir, tmp_path / "r.html")
    except InputError:
        pass
    finally:
        (run_dir / name).write_text(original, encoding="utf-8")


def test_overlapping_outages_count_once():
    from datetime import datetime, timedelta

    t = datetime(2026, 3, 2, 9, 0)
    spans = [
        (t, t + timedelta(minutes=60)),
        (t + timedelta(minutes=30), t + timedelta(minutes=90)),
        (t + timedelta(minutes=200), t + timedelta(minutes=210)),
    ]
    assert merged_minutes(spans) == 100


def test_credits_split_by_cause_keeps_every_euro(run_dir):
    run = load_run(run_dir)
    split = credits_by_cause(run, profiles_in_force(run))
    for profile, rows in run.sla["statements"].items():
        owed = sum(float(r["credit_eur"]) for r in rows)
        assert sum(sum(m.values()) for m in split[profile].values()) == pytest.approx(owed)
    # ALLEO: an access-link cut is not a Défaillance (000 §1), so no ALLEO credit is put on it
    assert all("access_link" not in m for m in split["alleo"].values())
    # ProgetCom: each ticket's credit goes to that ticket's cause, nothing unattributed
    assert all(UNATTRIBUTED not in m for m in split["progetcom"].values())


def test_install_delay_counts_business_days_with_holidays(run_dir):
    """Indicative Mon 4 May 2026 → service start Tue 2 June: 21 weekdays but 18 ALLEO business days
    (8 May, Ascension 14 May and Whit Monday 25 May are off), so not late (000 §5.2)."""
    rows = [
        {
            "site": "LEO-001",
            "handsets": 10,
            "indicative_date": "2026-05-04",
            "service_start": "2026-06-02",
            "customer_caused": 0,
            "appointments": 1,
            "profile": "alleo",
        },
        {
            "site": "LEO-002",
            "handsets": 7,
            "indicative_date": "2026-05-04",
            "service_start": "2026-06-05",
            "customer_caused": 0,
            "appointments": 1,
            "profile": "alleo",
        },
    ]
    rewrite_csv(run_dir / "installs.csv", rows)
    run = load_run(run_dir)
    section = installs(run, profiles_in_force(run))
    table = section.tables[0]
    alleo = dict(zip(table.columns, table.rows[0], strict=True))
    assert alleo["on time"] == "1" and alleo["late (provider)"] == "1" and alleo["handsets credited"] == "7"


def test_restoration_reads_each_objective_clock_from_the_terms(run_dir):
    run = load_run(run_dir)
    profiles = profiles_in_force(run)
    section = restoration(run, profiles)
    table = {(r[0], r[2]) for r in section.tables[0].rows}
    assert ("alleo", "4 business h") in table  # 000 §5.4: restoration in business hours
    assert ("allset", "4 h") in table  # 001 §4: on the SLA clock, wall clock by default
    assert ("progetcom", "4 business h") in table  # 002 §4: on the SLA clock, business
    assert ("progetcom", "72 h") in table  # equipment replacement: wall-clock hours
    profiles["allset"] = load_profile("allset", ["clock=business"])
    table = {(r[0], r[2]) for r in restoration(run, profiles).tables[0].rows}
    assert ("allset", "4 business h") in table and ("allset", "4 h") not in table


def test_capacity_page_draws_the_curve():
    rows = [
        {"users": n, "allowance_channels": n // 2, "channels_needed": max(1, n // 3), "verdict": "fits"}
        for n in range(1, 41)
    ]
    html = render_capacity_html(rows, title="Capacity, allocloud")
    assert plots_in(html)["plot-capacity"] == 80
    assert html.count('class="mark series"') == 2
    assert "<script" not in html and 'id="table-capacity"' in html


def test_report_of_a_real_demo_run(demo_run, tmp_path):
    html = write_report(demo_run, tmp_path / "demo.html").read_text(encoding="utf-8")
    for sid in SECTION_IDS:
        assert f'id="{sid}"' in html
    found = plots_in(html)
    assert found["plot-availability"] == 4 and found["plot-liability-total"] > 0
    assert found["plot-installs-alleo"] > 0 and found["plot-porting-outcomes"] > 0


@pytest.mark.parametrize("name", ["events.csv", "porting.csv", "summary.json", "scenario.yaml"])
def test_binary_garbage_is_an_input_error(run_dir, name):
    (run_dir / name).write_bytes(b"\xff\xfe\x00garbage\x00\n\x80\x81")
    with pytest.raises(InputError) as err:
        write_report(run_dir)
    assert str(err.value).startswith(str(run_dir / name))


def test_out_must_not_be_a_directory(run_dir, tmp_path):
    with pytest.raises(InputError, match="--out: is a directory"):
        write_report(run_dir, tmp_path)


def test_changed_choices_are_listed_first(run_dir):
    sla = json.loads((run_dir / "sla.json").read_text(encoding="utf-8"))
    sla["provenance"]["allset"]["choices"]["restoration_objective_hours"] = 8
    (run_dir / "sla.json").write_text(json.dumps(sla), encoding="utf-8")
    html = write_report(run_dir).read_text(encoding="utf-8")
    changed = re.search(r'<table id="table-choices-changed".*?</table>', html, re.S)[0]
    assert "restoration_objective_hours" in changed and "001 §4" in changed
    assert "tier_at_99_2" not in changed  # a default stays out of this table


def test_bad_restoration_cell_names_its_line(run_dir):
    """restorations.csv is read by pyarrow; a bad cell falls back to the row reader, which names it."""
    path = run_dir / "restorations.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    head = lines[0].split(",")
    cells = lines[5].split(",")
    cells[head.index("business_minutes")] = "lots"
    lines[5] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        write_report(run_dir)
    assert str(err.value).startswith(f"{path}:6: business_minutes: bad value 'lots'")
