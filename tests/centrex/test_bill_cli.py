"""`centrex bill`: the worked ETF examples per profile, formats, and bad input (exit 2, nothing on stdout)."""

import csv
import io
import json
import subprocess
import sys

import pytest


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "centrex.cli", *args], capture_output=True, text=True)


ETF = ("bill", "etf", "--service-start", "2025-01-15", "--monthly-fees", "100")


@pytest.mark.parametrize(
    ("contract", "terminate_on", "extra", "fee"),
    [
        ("alleo", "2025-06-20", ["--handsets", "3", "--link-fees", "250"], 3620.0),
        ("allset", "2025-06-20", [], 1900.0),
        ("allset", "2028-03-01", [], 700.0),
        ("progetcom", "2025-06-20", ["--order-form-amount", "500"], 3445.0),
        ("allocloud", "2025-06-20", [], 1845.16),
    ],
)
def test_etf_json_worked_examples(contract, terminate_on, extra, fee):
    r = run(*ETF, "--contract", contract, "--terminate-on", terminate_on, *extra, "--format", "json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["fee_eur"] == fee
    assert sum(ln["amount"] for ln in data["lines"]) == pytest.approx(fee)
    for ln in data["lines"]:
        assert set(ln) >= {"what", "months", "rate", "amount", "clause"} and ln["clause"]


def test_etf_csv_has_lines_and_total_and_set_flips_a_choice():
    r = run(
        *ETF,
        "--contract",
        "alleo",
        "--terminate-on",
        "2025-06-20",
        "--set",
        "partial_month=prorata",
        "--format",
        "csv",
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("# profile=alleo") and "partial_month=prorata" in r.stdout.splitlines()[0]
    rows = list(csv.DictReader(io.StringIO(r.stdout.split("\n", 1)[1])))
    # 3,083.87 € for the months + the 300.00 € placeholder link fees (000 §6.4, no --link-fees given)
    assert rows[-2]["clause"].startswith("000 §6.4") and rows[-2]["amount"] == "300.00"
    assert rows[-1]["what"] == "total early-termination fee" and rows[-1]["amount"] == "3383.87"
    assert "placeholder amount 300.00" in r.stdout.splitlines()[0]


@pytest.mark.parametrize(
    ("contract", "start", "extra", "fee"),
    [
        ("alleo", [], ["--link-fees", "250", "--handsets", "3"], 250.0),  # 000 §6.4 only
        ("alleo", ["--service-start", "2026-04-01"], [], 300.0),  # the placeholder link fees
        ("progetcom", [], [], 3420.0),  # 002 §5.3 a): 36 × 95 % × 100 €
    ],
)
def test_etf_before_service_start(contract, start, extra, fee):
    args = ("bill", "etf", "--contract", contract, "--terminate-on", "2026-03-01", "--monthly-fees", "100")
    r = run(*args, *start, *extra, "--format", "json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert (
        data["fee_eur"] == fee and data["period"] == "before service start" and data["period_start"] is None
    )


def test_etf_before_service_start_refused_where_the_clause_is_silent():
    r = run("bill", "etf", "--contract", "allset", "--terminate-on", "2026-03-01", "--monthly-fees", "100")
    assert r.returncode == 2 and r.stdout == "" and "001 §5" in r.stderr and "silent" in r.stderr


def test_etf_table_prints_the_derivation():
    r = run(*ETF, "--contract", "allset", "--terminate-on", "2028-03-01")
    assert r.returncode == 0 and "001 §5" in r.stdout and "700.00" in r.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--terminate-on", "2025-06-01", "--link-fees", "-3"], "link_fees"),
        (["--terminate-on", "2025-13-01"], "--terminate-on"),
        (["--terminate-on", "2025-06-01", "--set", "partial_month=sometimes"], "partial_month"),
    ],
)
def test_etf_bad_input_exit_2(args, message):
    r = run(*ETF, "--contract", "alleo", *args)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.startswith("error:") and message in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_negative_monthly_fees_exit_2():
    r = run(
        "bill",
        "etf",
        "--contract",
        "allset",
        "--service-start",
        "2025-01-15",
        "--terminate-on",
        "2025-06-01",
        "--monthly-fees=-100",
    )
    assert r.returncode == 2 and "monthly_fees" in r.stderr and r.stdout == ""


def test_prorata_refund_late():
    r = run(
        "bill",
        "prorata",
        "--contract",
        "allocloud",
        "--service-start",
        "2026-03-11",
        "--monthly-fees",
        "310",
        "--format",
        "json",
    )
    assert json.loads(r.stdout)["amount_eur"] == 210.0
    r = run(
        "bill",
        "refund",
        "--contract",
        "allocloud",
        "--amount",
        "55",
        "--set",
        "refund_prepaid=true",
        "--format",
        "json",
    )
    assert json.loads(r.stdout)["refund_eur"] == 55.0
    r = run(
        "bill",
        "late",
        "--amount",
        "1000",
        "--due",
        "2026-01-10",
        "--paid-on",
        "2026-02-25",
        "--format",
        "json",
    )
    data = json.loads(r.stdout)
    assert data["interest_eur"] == 15.36 and data["suspension_allowed"] is True


def test_price_calls_rounds_each_call_up(tmp_path):
    f = tmp_path / "c.csv"
    f.write_text(
        "caller_user,callee,start,duration_s,device_kind\n"
        "a,0145678912,2026-03-03T09:00:00,1,handset\n"
        "a,0145678912,2026-03-03T09:05:00,61,handset\n"
        "b,0612345678,2026-04-03T09:00:00,60,handset\n",
        encoding="utf-8",
    )
    r = run("bill", "price-calls", "--cdrs", str(f), "--rate-per-minute", "0.05", "--format", "json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    # 1 s → 0.000833 → 0.01; 61 s → 0.050833 → 0.06; 60 s → 0.05
    assert [(x["user"], x["amount_eur"]) for x in data["rows"]] == [("a", 0.07), ("b", 0.05)]
    assert data["total_eur"] == 0.12
