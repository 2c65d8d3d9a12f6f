"""`centrex sla …` and `centrex contract show` end to end: formats, provenance, warnings, exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parents[1] / "contracts" / "data" / "calendar_edges"
FILES = ["--incidents", str(DATA / "incidents.csv"), "--billing", str(DATA / "billing.csv")]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "centrex.cli", *args], capture_output=True, text=True)


def test_compute_json_matches_examples():
    r = run("sla", "compute", "--contract", "allset", *FILES, "--format", "json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    want = json.loads((DATA / "expected_allset.json").read_text())
    assert [x["credit_eur"] for x in rows] == [w["credit_eur"] for w in want]
    assert {
        "site",
        "month",
        "downtime_minutes",
        "availability",
        "credit_pct",
        "credit_eur",
        "lost_to_cap_eur",
    } <= set(rows[0])


def test_progetcom_json_has_incidents_and_csv_has_provenance():
    rows = json.loads(run("sla", "compute", "-c", "progetcom", *FILES, "-f", "json").stdout)
    e03 = next(x for x in rows if x["site"] == "E03")
    assert e03["incidents"][0]["ticket"] == "E-03" and e03["incidents"][0]["credit_eur"] == 50.0
    r = run("sla", "compute", "-c", "progetcom", *FILES, "-f", "csv", "--set", "clock=wallclock")
    first, header = r.stdout.splitlines()[:2]
    assert first.startswith("# profile=progetcom sha256=") and "clock=wallclock" in first
    assert header.startswith("site,month,downtime_minutes") and "incidents" not in header


def test_explain_diff_choices(tmp_path):
    r = run("sla", "explain", "-c", "alleo", *FILES, "--site", "E13", "--month", "2026-02")
    assert r.returncode == 0 and "000 §5.3" in r.stdout and "000 §5.6" in r.stdout and "12000" in r.stdout
    theirs = tmp_path / "theirs.csv"
    theirs.write_text("site,month,credit_eur\nE01,2026-03,88.00\nE13,2026-02,220.00\n")
    r = run("sla", "diff", "-c", "allset", *FILES, "--theirs", str(theirs), "-f", "json")
    rows = json.loads(r.stdout)
    assert ("E13", "2026-02") in {(x["site"], x["month"]) for x in rows}
    assert ("E01", "2026-03") in {(x["site"], x["month"]) for x in rows}  # ALLSET gives 220, theirs 88
    r = run("sla", "choices", "-c", "alleo", *FILES, "-f", "json")
    rows = json.loads(r.stdout)
    assert {x["choice"] for x in rows} >= {"tier_at_99_2", "router_counts", "overlap", "cap_window"}


def test_missing_month_warns_on_stderr(tmp_path):
    b = tmp_path / "b.csv"
    b.write_text("site,month,recurring_fees,usage_charges\nE01,2026-02,10,1\n")
    r = run(
        "sla",
        "compute",
        "-c",
        "alleo",
        "--incidents",
        str(DATA / "incidents.csv"),
        "--billing",
        str(b),
        "-f",
        "json",
    )
    assert r.returncode == 0
    assert "site E01 month 2026-03" in r.stderr
    assert len(json.loads(r.stdout)) == 1


@pytest.mark.parametrize(
    "content,args,needle",
    [
        ("T1,S,2026-03-02T10:00,2026-03-02T09:00,network\n", [], ":2: restored_at"),
        ("T1,S,2026-03-02T10:00,,volcano\n", [], ":2: cause: unknown cause"),
        ("T1,S,2026-03-02T10:00,,network\n", ["--set", "tier_at_99_2=9"], "allowed: 5, 8"),
        ("T1,S,2026-03-02T10:00,,network\n", ["--set", "colour=red"], "unknown choice"),
    ],
)
def test_bad_input_exit_2_nothing_on_stdout(tmp_path, content, args, needle):
    i = tmp_path / "i.csv"
    i.write_text("ticket,site,notified_at,restored_at,cause\n" + content)
    r = run(
        "sla", "compute", "-c", "alleo", "--incidents", str(i), "--billing", str(DATA / "billing.csv"), *args
    )
    assert r.returncode == 2 and r.stdout == ""
    assert needle in r.stderr and r.stderr.startswith("error: ")


def test_as_of_in_the_skipped_spring_hour_exit_2():
    """CONTRACTS §13: 2026-03-29 02:30 does not exist in Paris; 03:30 does."""
    r = run("sla", "compute", "-c", "alleo", *FILES, "--as-of", "2026-03-29T02:30:00")
    assert r.returncode == 2 and r.stdout == "" and "skipped DST hour" in r.stderr
    r = run("sla", "compute", "-c", "alleo", *FILES, "--as-of", "2026-03-29T03:30:00", "--format", "json")
    assert r.returncode == 0, r.stderr


def test_unknown_profile_exit_2():
    r = run("sla", "compute", "-c", "telco", *FILES)
    assert r.returncode == 2 and r.stdout == "" and "unknown profile" in r.stderr


def test_contract_show():
    r = run("contract", "show", "ALLSET", "--set", "clock=business", "-f", "json")
    data = json.loads(r.stdout)
    assert data["choices"]["clock"]["value"] == "business"
    r = run("contract", "show", "alleo")
    assert r.returncode == 0 and "000 §5.3" in r.stdout and r.stdout.startswith("# profile=alleo")
    r = run("contract", "show", "alleo", "-f", "csv")
    fees = [ln for ln in r.stdout.splitlines() if ln.startswith("fee,")]
    assert [ln.split(",")[1] for ln in fees] == ["cancellation_eur", "move_initial_eur", "link_fees_eur"]
    assert all("placeholder" in ln for ln in fees) and "cause,move,excluded,000 §3.5" in r.stdout


def test_a_french_export_reads_through_columns(tmp_path):
    """A ticketing tool's export: its own headers, `;`, day-first times; `--columns` maps it (issue 14 §1)."""
    import csv
    from datetime import datetime

    rows = list(csv.DictReader((DATA / "incidents.csv").open(encoding="utf-8")))

    def day_first(text: str) -> str:
        return datetime.fromisoformat(text).strftime("%d/%m/%Y %H:%M:%S") if text else ""

    lines = ["Numéro;Site;Ouvert le;Rétabli le;Cause"]
    for r in rows:
        t = datetime.fromisoformat(r["notified_at"])
        assert t.tzinfo is None  # naive Paris times: the day-first form says the same
        lines.append(
            f"{r['ticket']};{r['site']};{day_first(r['notified_at'])};{day_first(r['restored_at'])};{r['cause']}"
        )
    export = tmp_path / "export.csv"
    export.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8-sig")
    mapping = 'ticket=Numéro,notified_at="Ouvert le",restored_at=Rétabli le'
    ours = run("sla", "compute", "-c", "allset", *FILES, "-f", "json")
    theirs = run(
        "sla",
        "compute",
        "-c",
        "allset",
        "--incidents",
        str(export),
        "--billing",
        str(DATA / "billing.csv"),
        "-f",
        "json",
        "--columns",
        mapping,
    )
    assert theirs.returncode == 0, theirs.stderr
    assert theirs.stdout == ours.stdout
    typo = run("sla", "compute", "-c", "allset", *FILES, "--columns", "tiket=Numéro")
    assert typo.returncode == 2 and typo.stdout == "" and "tiket" in typo.stderr


TICKETS = (
    "ticket,site,notified_at,restored_at,cause,detected_by,diagnosed_at,replaced_at,under_warranty\n"
    "A,S,2026-03-02T08:00,2026-03-02T12:00,network,Provider,,,\n"  # 4 h 00: met; nothing replaced
    # 4 h 30: missed; replaced 49 h after diagnosis, under warranty: 48 h under warranty_split → missed
    "B,S,2026-03-10T08:00,2026-03-10T12:30,router,customer,2026-03-10T09:00,2026-03-12T10:00,true\n"
    # 72 h: missed; replaced 71 h after diagnosis, out of warranty: 96 h → met
    "C,S,2026-03-20T08:00,2026-03-23T08:00,router,,2026-03-20T09:00,2026-03-23T08:00,false\n"
)


def _tickets(tmp_path: Path) -> list[str]:
    i, b = tmp_path / "tickets.csv", tmp_path / "billing.csv"
    i.write_text(TICKETS, encoding="utf-8")
    b.write_text("site,month,recurring_fees,usage_charges\nS,2026-03,100,0\n", encoding="utf-8")
    return ["--incidents", str(i), "--billing", str(b), "--set", "equipment_replacement_hours=warranty_split"]


def test_compute_reports_the_objectives_of_real_tickets(tmp_path):
    """001 §4: restoration 4 h wall-clock, replacement 48 h under warranty / 96 h otherwise."""
    files = _tickets(tmp_path)
    r = run("sla", "compute", "-c", "allset", *files, "-f", "json")
    assert r.returncode == 0, r.stderr
    (row,) = json.loads(r.stdout)
    counts = {
        k: v for k, v in row.items() if k.startswith(("restoration_", "replacement_")) and type(v) is int
    }
    assert counts == {
        "restoration_met": 1,
        "restoration_missed": 2,
        "restoration_open": 0,
        "restoration_not_measurable": 0,
        "replacement_met": 1,
        "replacement_missed": 1,
        "replacement_not_measurable": 0,
    }
    assert row["restoration_clause"] == "001 §4" and row["restoration_clock"] == "wallclock"
    assert row["replacement_clause"].startswith("001 §4")
    a, b, c = row["objective_incidents"]
    assert (a["ticket"], a["restoration_objective"], a["replacement_objective"]) == (
        "A",
        "met",
        "not_applicable",
    )
    assert b["restoration_objective_minutes"] == 270 and b["restoration_target_minutes"] == 240
    assert (b["replacement_hours"], b["replacement_target_hours"], b["replacement_objective"]) == (
        49,
        48,
        "missed",
    )
    assert (c["replacement_hours"], c["replacement_target_hours"], c["replacement_objective"]) == (
        71,
        96,
        "met",
    )
    table = run("sla", "compute", "-c", "allset", *files)
    assert table.returncode == 0 and "R 1/3; E 1/2" in table.stdout
    csv_out = run("sla", "compute", "-c", "allset", *files, "-f", "csv").stdout.splitlines()
    assert csv_out[1].endswith(",objectives") and csv_out[2].endswith(",R 1/3; E 1/2")
    # ProgetCom: the same objectives beside its per-incident GTR lines
    (pc,) = json.loads(run("sla", "compute", "-c", "progetcom", *files[:4], "-f", "json").stdout)
    assert [x["ticket"] for x in pc["objective_incidents"]] == ["A", "B", "C"] and len(pc["incidents"]) == 3


def test_json_lists_only_the_incidents_an_objective_applies_to(tmp_path):
    """000 §5.5: a customer-caused ticket counts for no objective, so it is in no list and no count."""
    i, b = tmp_path / "tickets.csv", tmp_path / "billing.csv"
    i.write_text(
        "ticket,site,notified_at,restored_at,cause\n"
        "N,S,2026-03-02T09:00,2026-03-02T10:00,network\n"
        "X,S,2026-03-03T09:00,2026-03-03T20:00,Customer\n",
        encoding="utf-8",
    )
    b.write_text("site,month,recurring_fees,usage_charges\nS,2026-03,100,0\n", encoding="utf-8")
    r = run("sla", "compute", "-c", "alleo", "--incidents", str(i), "--billing", str(b), "-f", "json")
    assert r.returncode == 0, r.stderr
    (row,) = json.loads(r.stdout)
    assert [x["ticket"] for x in row["objective_incidents"]] == ["N"]
    assert (row["restoration_met"], row["restoration_missed"]) == (1, 0)


def test_explain_prints_each_objective_met_or_missed(tmp_path):
    files = _tickets(tmp_path)
    r = run("sla", "explain", "-c", "allset", *files, "--site", "S", "--month", "2026-03")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "objective, restoration (001 §4): 240 wallclock minutes, objective 240: MET" in out
    assert "objective, restoration (001 §4): 270 wallclock minutes, objective 240: MISSED" in out
    assert (
        "49 h after diagnosis, objective 48 h: MISSED" in out
        and "71 h after diagnosis, objective 96 h: MET" in out
    )
    r = run(
        "sla",
        "explain",
        "-c",
        "allset",
        *files,
        "--set",
        "provider_detected_counts=false",
        "--site",
        "S",
        "--month",
        "2026-03",
    )
    assert (
        "A (line 2): network" in r.stdout
        and "EXCLUDED (provider-detected, provider_detected_counts=false; 001 §4" in r.stdout
    )
