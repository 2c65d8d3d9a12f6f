"""No tabular reader drops a data row: a row whose first cell starts with `#` is read, or refused with its
line, never skipped (issue 13). In a CSV table only the tool's own `# provenance` line 1 is a comment.

Every reader is called through its public function: incidents, billing, installs, statements
(`sla diff --theirs`), sites, devices, call records and OBL records. The numbers file of a porting
mandate is not a table: it keeps its `#` comment lines (test_fuzz_inventory_inputs.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rb_csv import Spelling, Table, render
from rb_harness import fuzz, read_or_error, run_cli, tick

from contracts.errors import InputError
from contracts.profile import load_profile

PROGETCOM = load_profile("progetcom")
PROVENANCE_LIKE = f"# {PROGETCOM.provenance()}"  # the tool's comment form, but on a data line


@dataclass(frozen=True)
class Reader:
    """A tabular reader: its columns, a valid row i, and how many rows it read from a file."""

    columns: tuple[str, ...]
    row: Callable[[int], tuple[str, ...]]
    count: Callable[[Path], int]
    semicolon: bool = True  # reads French `;` exports


_UPGRADED: set[str] = set()


def _obl_count(path: Path) -> int:
    from provisioning import db, obl

    url = f"sqlite:///{path.with_suffix('.db')}"
    if url not in _UPGRADED:
        db.upgrade(url)
        _UPGRADED.add(url)
    with db.session_scope(url) as session:
        return obl.load_records(session, path)


def _readers() -> dict[str, Reader]:
    from contracts.channels import parse_devices
    from contracts.explain import read_theirs
    from contracts.records import read_billing, read_incidents, read_installs
    from contracts.usage import COLUMNS as CDR_COLUMNS
    from contracts.usage import audit
    from provisioning.inventory import read_sites_csv
    from provisioning.obl import OBL_COLUMNS

    def devices(p: Path) -> int:
        return len(parse_devices(p.read_bytes().decode("utf-8-sig"), str(p)))

    return {
        "incidents": Reader(
            ("ticket", "site", "notified_at", "restored_at", "cause"),
            lambda i: (f"T{i}", f"S{i}", "2026-01-05T10:00", "2026-01-05T12:30", "network"),
            lambda p: len(read_incidents(p).ticket),
        ),
        "billing": Reader(
            ("site", "month", "recurring_fees", "usage_charges"),
            lambda i: (f"S{i}", "2026-01", "100.00", "5.50"),
            lambda p: len(read_billing(p)),
        ),
        "installs": Reader(
            ("site", "handsets", "indicative_date", "service_start", "customer_caused"),
            lambda i: (f"S{i}", "4", "2026-01-10", "2026-01-12", "false"),
            lambda p: len(read_installs(p)),
        ),
        "statements": Reader(
            ("site", "month", "credit_eur"),
            lambda i: (f"S{i}", "2026-01", "1.50"),
            lambda p: len(read_theirs(p)),
        ),
        "sites": Reader(
            ("site", "customer", "address", "postcode", "city", "profile", "service_start"),
            lambda i: (f"SITE-{i}", "ACME", "1 rue de la Paix", "75001", "Paris", "alleo", "2026-01-05"),
            lambda p: len(read_sites_csv(p)),
        ),
        "devices": Reader(
            ("device", "kind", "user", "room"), lambda i: (f"D{i}", "desk_phone", f"User {i}", ""), devices
        ),
        "call records": Reader(
            CDR_COLUMNS,
            lambda i: (f"u{i}", "0172587502", "2026-01-05T10:00", "60", "handset"),
            lambda p: audit(PROGETCOM, p).records,
        ),
        "OBL records": Reader(
            OBL_COLUMNS,
            lambda i: (f"+3314000000{i}", "+33140000000", "Acme SA", "1 rue de Rivoli", "permanent"),
            _obl_count,
            semicolon=False,
        ),
    }


READERS = _readers()


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("no-row-dropped")


def _write(work: Path, name: str, table: Table, sp: Spelling) -> Path:
    p = work / f"{name.replace(' ', '-')}.csv"
    p.write_bytes(render(table, sp))
    return p


def assert_read_or_located(reader: Reader, path: Path, rows: int, k: int) -> InputError | None:
    """All `rows` rows read, or an InputError naming line k + 2 (the `#` row); a skipped row fails."""
    got = read_or_error(reader.count, path)
    if isinstance(got, InputError):
        assert got.line == k + 2, f"refused at line {got.line}, the # row is line {k + 2}: {got}"
        return got
    assert got == rows, f"read {got} of {rows} rows: a row whose first cell starts with # was dropped"
    return None


@fuzz(150)
@given(
    which=st.sampled_from(sorted(READERS)),
    n=st.integers(1, 6),
    k=st.integers(0, 5),
    first=st.integers(0, 6),
    mark=st.sampled_from(["#", "# ", "#!", PROVENANCE_LIKE + " ", "##"]),
    replace=st.booleans(),
    bom=st.booleans(),
    semicolon=st.booleans(),
    crlf=st.booleans(),
)
def test_a_row_starting_with_hash_is_read_or_located(
    work, which, n, k, first, mark, replace, bom, semicolon, crlf
):
    """Whatever column comes first, a `#` at the start of a data row never hides that row."""
    tick(f"# first cell: {which}")
    reader = READERS[which]
    k, j = k % n, first % len(reader.columns)
    order = (j, *(c for c in range(len(reader.columns)) if c != j))
    t = Table(reader.columns, tuple(reader.row(i) for i in range(n)))
    cell = t.rows[k][j]
    t = t.with_cell(k, reader.columns[j], mark if replace else mark + cell)
    sp = Spelling(bom=bom, semicolon=semicolon and reader.semicolon, crlf=crlf, order=order)
    assert_read_or_located(reader, _write(work, which, t, sp), n, k)


# Keys read as they are: a `#` at the start of a site, ticket, device or user name is part of the name.
READ_AS_DATA = ["incidents", "billing", "installs", "statements", "sites", "devices", "call records"]


@pytest.mark.parametrize("which", sorted(READERS))
def test_each_reader_keeps_a_hash_row_in_its_first_column(work, which):
    """The row `#<key>,…` in the middle of a file: read (its key is a name) or refused at its line."""
    reader = READERS[which]
    t = Table(reader.columns, tuple(reader.row(i) for i in range(3)))
    t = t.with_cell(1, reader.columns[0], "#" + t.rows[1][0])
    err = assert_read_or_located(reader, _write(work, which, t, Spelling()), 3, 1)
    if which in READ_AS_DATA:  # an OBL number `#+33…` may be read (phonenumbers skips the `#`) or refused
        assert err is None, err


def test_devices_hash_kind_first_is_refused_by_capacity(work):
    """The issue's case: the kind column first and a kind `#`: exit 2 naming line 3, not 0 users."""
    p = work / "devices-kind-first.csv"
    p.write_text("kind,device,user,room\ndesk_phone,D1,Ana,\n#,D2,Bob,\n")
    res = run_cli(["capacity", "--devices", str(p), "--erlangs-per-user", "0.1", "--format", "json"])
    assert res.code == 2 and f"{p}:3:" in res.err and "kind" in res.err, res.err


def test_statement_hash_row_is_diffed_and_our_own_output_reads_back(work):
    """`sla diff --theirs`: our own CSV (provenance line 1) agrees with itself; a `#E01` row is diffed."""
    data = Path(__file__).parents[1] / "contracts" / "data" / "calendar_edges"
    files = [
        "-c",
        "allset",
        "--incidents",
        str(data / "incidents.csv"),
        "--billing",
        str(data / "billing.csv"),
    ]
    ours = run_cli(["sla", "compute", *files, "-f", "csv"])
    assert ours.code == 0 and ours.out.startswith("# profile=allset sha256="), ours.err
    mine = work / "ours.csv"
    mine.write_text(ours.out)
    same = run_cli(["sla", "diff", *files, "--theirs", str(mine), "-f", "json"])
    assert same.code == 0 and json.loads(same.out) == [], (same.err, same.out[:300])
    theirs = work / "theirs.csv"
    theirs.write_text("site,month,credit_eur\n#E01,2026-03,88.00\n")
    res = run_cli(["sla", "diff", *files, "--theirs", str(theirs), "-f", "json"])
    assert res.code == 0, res.err
    assert ("#E01", "2026-03") in {(x["site"], x["month"]) for x in json.loads(res.out)}
