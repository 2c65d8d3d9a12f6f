"""Fuzz the SLA inputs (incidents, billing, installs, another system's statement) through the readers and
through `centrex sla compute|diff` in-process.

Three oracles: every accepted spelling of a valid file reads the same data (and prints the same
statement); one bad cell gives an InputError naming exactly that line and field (exit 2, one line on
stderr, nothing on stdout); anything else (garbage bytes) is read or refused cleanly, never a crash.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from rb_csv import (
    PARIS,
    Table,
    amounts,
    bad_amounts,
    bad_times,
    garbage_bytes,
    minutes,
    render,
    render_amount,
    render_time,
    spellings,
    time_styles,
)
from rb_harness import assert_clean_error, assert_ok_or_clean_error, fuzz, read_or_error, run_cli, tick

from contracts.choices import CAUSES
from contracts.errors import InputError
from contracts.explain import read_theirs
from contracts.records import read_billing, read_incidents, read_installs

INC_COLS = ("ticket", "site", "notified_at", "restored_at", "cause")
BILL_COLS = ("site", "month", "recurring_fees", "usage_charges")
INST_COLS = ("site", "handsets", "indicative_date", "service_start", "customer_caused")
THEIRS_COLS = ("site", "month", "credit_eur")
SITES = ["S1", "S2", "Créteil-03", "site 4"]
MONTHS = [f"{y}-{m:02d}" for y in (2024, 2025, 2026, 2027) for m in range(1, 13)]


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz-sla")


def put(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# ----- strategies -----------------------------------------------------------------------------------------
def site_months(min_rows: int, max_rows: int):
    """Distinct (site, month) keys: one row each in a bill or a statement."""
    return st.lists(
        st.tuples(st.sampled_from(SITES), st.sampled_from(MONTHS)),
        unique=True,
        min_size=min_rows,
        max_size=max_rows,
    )


@st.composite
def incident_tables(draw, min_rows: int = 0, max_rows: int = 12) -> Table:
    rows = []
    for i in range(draw(st.integers(min_rows, max_rows))):
        start, length = draw(minutes), draw(st.none() | st.integers(0, 30_000))
        restored = "" if length is None else render_time(start + length, draw(time_styles))
        rows.append(
            (
                f"T{i}",
                draw(st.sampled_from(SITES)),
                render_time(start, draw(time_styles)),
                restored,
                draw(st.sampled_from(CAUSES)),
            )
        )
    return Table(INC_COLS, tuple(rows))


@st.composite
def billing_tables(draw, min_rows: int = 0, max_rows: int = 12) -> Table:
    keys = draw(site_months(min_rows, max_rows))
    comma = draw(st.booleans())
    rows = tuple(
        (s, m, render_amount(draw(amounts), comma), render_amount(draw(amounts), comma)) for s, m in keys
    )
    return Table(BILL_COLS, rows)


dates = st.dates(min_value=datetime(2024, 1, 1).date(), max_value=datetime(2027, 12, 31).date())
BOOLS = ["true", "false", "yes", "no", "oui", "non", "1", "0", "", "TRUE", "False"]


@st.composite
def install_tables(draw, min_rows: int = 0, max_rows: int = 10) -> Table:
    rows = []
    for i in range(draw(st.integers(min_rows, max_rows))):
        ind = draw(dates)
        start = draw(st.none() | st.integers(0, 120))
        rows.append(
            (
                f"S{i}",
                str(draw(st.integers(0, 60))),
                ind.isoformat(),
                "" if start is None else (ind + timedelta(days=start)).isoformat(),
                draw(st.sampled_from(BOOLS)),
            )
        )
    return Table(INST_COLS, tuple(rows))


@st.composite
def theirs_tables(draw, min_rows: int = 0, max_rows: int = 10) -> Table:
    keys = draw(site_months(min_rows, max_rows))
    comma = draw(st.booleans())
    return Table(THEIRS_COLS, tuple((s, m, render_amount(draw(amounts), comma)) for s, m in keys))


def _instant(text: str) -> datetime:
    try:
        t = datetime.fromisoformat(text)
    except ValueError:  # day first, as a French spreadsheet writes it
        t = datetime.strptime(text, "%d/%m/%Y %H:%M")
    return t if t.tzinfo else t.replace(tzinfo=PARIS)


def bad_incident_cell(draw, t: Table, k: int) -> tuple[str, str]:
    """A field of row k and a value that makes that row (only) invalid."""
    field = draw(st.sampled_from(INC_COLS + ("duplicate",)))
    if field == "duplicate":
        if k == 0:
            field = "ticket"
        else:
            return "ticket", t.rows[draw(st.integers(0, k - 1))][0]
    if field in ("ticket", "site"):
        return field, draw(st.sampled_from(["", "   ", "\t"]))
    if field == "notified_at":
        return field, draw(bad_times(allow_empty=False))
    if field == "restored_at":
        if draw(st.booleans()):
            before = _instant(t.rows[k][2]) - timedelta(minutes=draw(st.integers(1, 10_000)))
            return field, before.isoformat()
        return field, draw(bad_times(allow_empty=True))
    return field, draw(st.text(max_size=20).filter(lambda v: v.strip() not in CAUSES))


def bad_billing_cell(draw, t: Table, k: int) -> tuple[str, str]:
    field = draw(st.sampled_from(BILL_COLS + ("duplicate",)))
    if field == "duplicate":
        if k == 0:
            field = "site"
        else:
            j = draw(st.integers(0, k - 1))
            t2 = t.with_cell(k, "site", t.rows[j][0])
            return "month", t2.rows[j][1]
    if field == "site":
        return field, draw(st.sampled_from(["", "  "]))
    if field == "month":
        return field, draw(
            st.sampled_from(
                [
                    "2026-13",
                    "2026-1",
                    "26-01",
                    "janvier 2026",
                    "2026/01",
                    "",
                    "2026-00",
                    "01-2026",
                    "0000-01",
                    "9999-12",
                ]
            )
            | st.text(max_size=12).filter(lambda v: not _is_month(v))
        )
    return field, draw(bad_amounts)


def bad_billing_table(draw, t: Table, k: int) -> tuple[Table, str, str]:
    """`bad_billing_cell`, with row k's site set to an earlier row's where the bad month repeats its month
    (so that the row is a duplicate key)."""
    field, value = bad_billing_cell(draw, t, k)
    if field == "month" and value in {r[1] for r in t.rows[:k]}:
        j = next(i for i in range(k) if t.rows[i][1] == value)
        t = t.with_cell(k, "site", t.rows[j][0])
    return t, field, value


def _is_month(v: str) -> bool:
    s = v.strip()
    return (
        s[:4].isascii()  # `'¹'.isdigit()` is True but int() refuses it (found by tox -e fuzz)
        and s[:4].isdigit()
        and 1900 <= int(s[:4]) <= 2199
        and (
            len(s) == 7
            and s[4] == "-"
            and s[:4].isascii()
            and s[:4].isdigit()
            and s[5:] in {f"{m:02d}" for m in range(1, 13)}
        )
    )


# ----- the three oracles on one reader ---------------------------------------------------------------------
def assert_spellings_read_the_same(work: Path, reader, key, t: Table, sp) -> None:
    canon = reader(put(work / "canon.csv", render(t)))
    assert key(reader(put(work / "variant.csv", render(t, sp)))) == key(canon)


def assert_bad_cell_located(work: Path, reader, t: Table, k: int, field: str, value: str, sp) -> None:
    err = read_or_error(reader, put(work / "bad.csv", render(t.with_cell(k, field, value), sp)))
    assert isinstance(err, InputError), f"accepted {field}={value!r}"
    assert (err.line, err.field) == (k + 2, field), (str(err), field, value)


def read_garbage(work: Path, reader, columns: tuple[str, ...], head: bool, junk: bytes) -> None:
    prefix = (",".join(columns) + "\n").encode() if head else b""
    read_or_error(reader, put(work / "junk.csv", prefix + junk))


# ----- incidents ------------------------------------------------------------------------------------------
def _incidents_key(inc):
    return (inc.ticket, inc.site, inc.notified.tolist(), inc.restored.tolist(), inc.cause.tolist())


@fuzz(500)
@given(t=incident_tables(), sp=spellings(len(INC_COLS)))
def test_incidents_spellings_read_the_same(work, t, sp):
    tick("incidents.csv")
    assert_spellings_read_the_same(work, read_incidents, _incidents_key, t, sp)


@fuzz(700)
@given(t=incident_tables(min_rows=1), sp=spellings(len(INC_COLS)), data=st.data())
def test_incidents_one_bad_cell_is_located(work, t, sp, data):
    tick("incidents.csv")
    k = data.draw(st.integers(0, len(t.rows) - 1))
    field, value = bad_incident_cell(data.draw, t, k)
    assert_bad_cell_located(work, read_incidents, t, k, field, value, sp)


@fuzz(400)
@given(head=st.booleans(), junk=garbage_bytes)
def test_incidents_garbage_never_crashes(work, head, junk):
    tick("incidents.csv")
    read_garbage(work, read_incidents, INC_COLS, head, junk)


# ----- billing --------------------------------------------------------------------------------------------
def _billing_key(rows):
    return sorted((r.site, r.month, r.recurring, r.usage) for r in rows)


@fuzz(400)
@given(t=billing_tables(), sp=spellings(len(BILL_COLS)))
def test_billing_spellings_read_the_same(work, t, sp):
    tick("billing.csv")
    assert_spellings_read_the_same(work, read_billing, _billing_key, t, sp)


@fuzz(600)
@given(t=billing_tables(min_rows=1), sp=spellings(len(BILL_COLS)), data=st.data())
def test_billing_one_bad_cell_is_located(work, t, sp, data):
    tick("billing.csv")
    k = data.draw(st.integers(0, len(t.rows) - 1))
    t, field, value = bad_billing_table(data.draw, t, k)
    assert_bad_cell_located(work, read_billing, t, k, field, value, sp)


@fuzz(400)
@given(head=st.booleans(), junk=garbage_bytes)
def test_billing_garbage_never_crashes(work, head, junk):
    tick("billing.csv")
    read_garbage(work, read_billing, BILL_COLS, head, junk)


# ----- installs -------------------------------------------------------------------------------------------
def _installs_key(rows):
    return [(r.site, r.handsets, r.indicative_date, r.service_start, r.customer_caused) for r in rows]


@fuzz(300)
@given(t=install_tables(), sp=spellings(len(INST_COLS)))
def test_installs_spellings_read_the_same(work, t, sp):
    tick("installs.csv")
    assert_spellings_read_the_same(work, read_installs, _installs_key, t, sp)


BAD_DATES = [
    "2026-02-30",
    "2026-13-01",
    "x",
    "31/02/2026",
    "01/13/2026",
    "2026-01-05 junk",
    "2026-1-5",
    "0000-01-01",
]


@fuzz(500)
@given(t=install_tables(min_rows=1), sp=spellings(len(INST_COLS)), data=st.data())
def test_installs_one_bad_cell_is_located(work, t, sp, data):
    tick("installs.csv")
    k = data.draw(st.integers(0, len(t.rows) - 1))
    field = data.draw(st.sampled_from(INST_COLS))
    if field == "site":
        value = data.draw(st.sampled_from(["", "  "]))
    elif field == "handsets":
        value = data.draw(st.sampled_from(["x", "-1", "3.5", "", "1e3", "deux"]))
    elif field in ("indicative_date", "service_start"):
        value = data.draw(st.sampled_from(BAD_DATES + ([] if field == "service_start" else [""])))
    else:
        value = data.draw(st.sampled_from(["maybe", "2", "vrai?", "-1"]))
        if not t.rows[k][3]:  # no service start yet: the row is skipped, so give it one
            t = t.with_cell(k, "service_start", t.rows[k][2])
    assert_bad_cell_located(work, read_installs, t, k, field, value, sp)


@fuzz(300)
@given(head=st.booleans(), junk=garbage_bytes)
def test_installs_garbage_never_crashes(work, head, junk):
    tick("installs.csv")
    read_garbage(work, read_installs, INST_COLS, head, junk)


# ----- another system's statement (sla diff --theirs) -----------------------------------------------------
@fuzz(300)
@given(t=theirs_tables(), sp=spellings(len(THEIRS_COLS)))
def test_statement_spellings_read_the_same(work, t, sp):
    tick("statement.csv (--theirs)")
    assert_spellings_read_the_same(work, read_theirs, lambda statement: statement, t, sp)


@fuzz(300)
@given(t=theirs_tables(min_rows=1), sp=spellings(len(THEIRS_COLS)), data=st.data())
def test_statement_one_bad_cell_is_located(work, t, sp, data):
    tick("statement.csv (--theirs)")
    k = data.draw(st.integers(0, len(t.rows) - 1))
    field = data.draw(st.sampled_from(["month", "credit_eur"]))
    if field == "month":
        value = data.draw(st.sampled_from(["2026-13", "2026-1", "janvier", "", "2026/01"]))
    else:
        value = data.draw(st.sampled_from(["abc", "NaN", "Infinity", "1.2.3", "12 €"]))
    assert_bad_cell_located(work, read_theirs, t, k, field, value, sp)


@fuzz(300)
@given(head=st.booleans(), junk=garbage_bytes)
def test_statement_garbage_never_crashes(work, head, junk):
    tick("statement.csv (--theirs)")
    read_garbage(work, read_theirs, THEIRS_COLS, head, junk)


# ----- the same through the command line ------------------------------------------------------------------
def _compute(inc: Path, bill: Path, *extra: str) -> list[str]:
    return [
        "sla",
        "compute",
        "--contract",
        "alleo",
        "--incidents",
        str(inc),
        "--billing",
        str(bill),
        "--as-of",
        "2028-01-01",
        "--format",
        "csv",
        *extra,
    ]


@fuzz(200)
@given(t=incident_tables(), b=billing_tables(), sp=spellings(len(INC_COLS)), sb=spellings(len(BILL_COLS)))
def test_cli_compute_same_statement_whatever_the_spelling(work, t, b, sp, sb):
    tick("cli: sla compute")
    base = run_cli(_compute(put(work / "i.csv", render(t)), put(work / "b.csv", render(b))))
    assert base.code == 0 and not base.warnings, (base.err, base.warnings)
    other = run_cli(_compute(put(work / "i2.csv", render(t, sp)), put(work / "b2.csv", render(b, sb))))
    assert other.code == 0 and other.out == base.out, other.err


@fuzz(400)
@given(t=incident_tables(min_rows=1), b=billing_tables(min_rows=1), which=st.booleans(), data=st.data())
def test_cli_compute_one_bad_cell_exits_2_with_one_line(work, t, b, which, data):
    tick("cli: sla compute")
    if which:
        k = data.draw(st.integers(0, len(t.rows) - 1))
        field, value = bad_incident_cell(data.draw, t, k)
        inc, bill = put(work / "i.csv", render(t.with_cell(k, field, value))), put(work / "b.csv", render(b))
        bad = inc
    else:
        k = data.draw(st.integers(0, len(b.rows) - 1))
        b, field, value = bad_billing_table(data.draw, b, k)
        inc, bill = put(work / "i.csv", render(t)), put(work / "b.csv", render(b.with_cell(k, field, value)))
        bad = bill
    assert_clean_error(run_cli(_compute(inc, bill)), bad, line=k + 2, field=field)


@fuzz(300)
@given(
    t=incident_tables(), b=billing_tables(), which=st.sampled_from(["i", "b", "n", "t"]), junk=garbage_bytes
)
def test_cli_sla_garbage_exits_0_or_2(work, t, b, which, junk):
    tick("cli: sla compute/diff")
    inc, bill = put(work / "i.csv", render(t)), put(work / "b.csv", render(b))
    target = {"i": inc, "b": bill, "n": work / "n.csv", "t": work / "t.csv"}[which]
    put(target, junk)
    if which == "t":
        args = ["sla", "diff", "--theirs", str(target), *_compute(inc, bill)[2:]]
    elif which == "n":
        args = _compute(inc, bill, "--installs", str(target))
    else:
        args = _compute(inc, bill)
    assert_ok_or_clean_error(run_cli(args), target)


def test_cli_compute_rejects_missing_and_empty_files(work):
    inc, bill = (
        put(work / "i.csv", render(Table(INC_COLS, ()))),
        put(work / "b.csv", render(Table(BILL_COLS, ()))),
    )
    assert_clean_error(run_cli(_compute(work / "absent.csv", bill)), work / "absent.csv")
    assert_clean_error(run_cli(_compute(put(work / "empty.csv", b""), bill)), work / "empty.csv", line=1)
    assert_clean_error(
        run_cli(_compute(inc, put(work / "hdr.csv", b"site,month\n"))), work / "hdr.csv", line=1
    )
    latin1 = put(
        work / "latin1.csv",
        "ticket,site,notified_at,restored_at,cause\nT1,Créteil,2026-01-05 10:00,,network\n".encode("latin-1"),
    )
    assert_clean_error(run_cli(_compute(latin1, bill)), latin1)
    huge = put(
        work / "huge.csv",
        b"ticket,site,notified_at,restored_at,cause\nT1," + b"S" * 300_000 + b",2026-01-05 10:00,,network\n",
    )
    assert_ok_or_clean_error(run_cli(_compute(huge, bill)), huge)  # no crash; see the report


def test_french_spreadsheet_export_is_accepted(work):
    """A `;`-separated, BOM-prefixed, CRLF export with decimal commas reads like the plain file."""
    inc = put(
        work / "fr-i.csv",
        (
            "\ufeffticket;site;notified_at;restored_at;cause\r\n"
            "T1;Créteil;2026-03-02 10:00;2026-03-02 18:30;network\r\n"
        ).encode(),
    )
    bill = put(
        work / "fr-b.csv",
        "\ufeffsite;month;recurring_fees;usage_charges\r\nCréteil;2026-03;1234,50;12,05\r\n".encode(),
    )
    plain_i = put(
        work / "p-i.csv",
        (
            "ticket,site,notified_at,restored_at,cause\n"
            "T1,Créteil,2026-03-02 10:00,2026-03-02 18:30,network\n"
        ).encode(),
    )
    plain_b = put(
        work / "p-b.csv", "site,month,recurring_fees,usage_charges\nCréteil,2026-03,1234.50,12.05\n".encode()
    )
    fr, plain = run_cli(_compute(inc, bill)), run_cli(_compute(plain_i, plain_b))
    assert fr.code == 0 and fr.out == plain.out and "1234.5" not in fr.err
    assert np.array_equal(read_incidents(inc).notified, read_incidents(plain_i).notified)


def test_real_console_script_prints_one_unwrapped_line(work):
    """The in-process runner is checked against a real process: a long error stays one line (no wrapping
    at 80 columns when stderr is a pipe), exit 2, nothing on stdout."""
    import subprocess
    import sys

    long_site = "S" * 300
    inc = put(
        work / "real.csv",
        f"ticket,site,notified_at,restored_at,cause\nT1,{long_site},yesterday,,network\n".encode(),
    )
    bill = put(work / "real-b.csv", render(Table(BILL_COLS, ())))
    done = subprocess.run(
        [sys.executable, "-c", "from centrex.cli import main; main()", *_compute(inc, bill)],
        capture_output=True,
        text=True,
        timeout=120,
        env={"COLUMNS": "80", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith(f"error: {inc}:2: notified_at: "), (
        done.stderr
    )


@pytest.mark.parametrize("value", ["¹", "²⁰²⁶-01", "٢٠٢٦-01", "2026-01"])
def test_is_month_oracle_takes_non_ascii_digits(value):
    """Pinned from tox -e fuzz (seed 3716790371): the oracle itself crashed on a superscript digit."""
    assert _is_month(value) == (value == "2026-01")
