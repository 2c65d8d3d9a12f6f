"""Fuzz the other CSV inputs: devices (`centrex capacity --devices`), the inventory import (`sites.csv`)
and the numbers file of a porting mandate (`centrex port create --numbers`)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from rb_csv import Spelling, Table, garbage_bytes, render, spellings
from rb_harness import assert_clean_error, assert_ok_or_clean_error, fuzz, read_or_error, run_cli, tick

from contracts.channels import count_users, parse_devices
from contracts.choices import Counting, DeviceKind
from contracts.errors import InputError
from contracts.profile import load_profile
from provisioning.inventory import read_sites_csv
from provisioning.mandates import read_numbers_file

DEV_COLS = ("device", "kind", "user", "room")
SITE_COLS = ("site", "customer", "address", "postcode", "city", "profile", "service_start")
POSTCODES = ["75001", "69002", "13001", "67000", "57000", "20000", "20200", "33000", "59000", "97100"]
PROFILES = ["alleo", "allset", "progetcom", "allocloud", "ALLEO", " Allset "]


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz-inventory")


def put(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _read_devices(path: Path):
    return count_users(parse_devices(path.read_bytes().decode("utf-8-sig"), str(path)), str(path))


# ----- devices.csv ----------------------------------------------------------------------------------------
@st.composite
def device_tables(draw, min_rows: int = 0, max_rows: int = 15) -> Table:
    rows = []
    for i in range(draw(st.integers(min_rows, max_rows))):
        kind = draw(st.sampled_from(list(DeviceKind)))
        rule = kind.counting
        if rule is Counting.person:
            row = (f"D{i}", kind.value, draw(st.sampled_from(["Ana", "Bob", "Chloé", "Dan"])), "")
        elif rule is Counting.not_billed:
            row = ("", kind.value, draw(st.sampled_from(["Admin 1", "Sup 2"])), "")
        elif rule in (Counting.per_phone, Counting.users_room):
            row = (f"D{i}", kind.value, "", draw(st.sampled_from(["Hall", "Salle A", "Réunion"])))
        else:
            row = (f"D{i}", kind.value, "", "")
        rows.append(row)
    return Table(DEV_COLS, tuple(rows))


device_spellings = spellings(len(DEV_COLS)).map(lambda sp: dataclasses.replace(sp, upper_header=False))


@fuzz(300)
@given(t=device_tables(), sp=device_spellings, provenance=st.booleans())
def test_devices_spellings_count_the_same(work, t, sp, provenance):
    """The tool's own `# provenance` line 1 is skipped; any other `#` row is data (test_no_row_dropped)."""
    tick("devices.csv")
    canon = _read_devices(put(work / "canon.csv", render(t)))
    data = render(t, sp)
    if provenance:
        line = f"# {load_profile('progetcom').provenance()}\n".encode()
        data = line + data.removeprefix(b"\xef\xbb\xbf")
    assert _read_devices(put(work / "variant.csv", data)) == canon


KINDS = {x.value for x in DeviceKind}


@fuzz(300)
@given(
    t=device_tables(min_rows=1),
    sp=device_spellings,
    k=st.integers(0, 14),
    value=st.text(max_size=15).filter(lambda v: v.strip() not in KINDS),
)
@example(
    t=Table(DEV_COLS, (("D0", "desk_phone", "Ana", ""),)), sp=Spelling(order=(1, 0, 2, 3)), k=0, value="#"
)
def test_devices_unknown_kind_is_located(work, t, sp, k, value):
    """An unknown kind is refused at its line; the kind `#` was once taken for a comment and dropped."""
    tick("devices.csv")
    k %= len(t.rows)
    p = put(work / "bad.csv", render(t.with_cell(k, "kind", value), sp))
    err = read_or_error(_read_devices, p)
    assert isinstance(err, InputError) and (err.line, err.field) == (k + 2, "kind"), (err, value)


@fuzz(300)
@given(head=st.booleans(), junk=garbage_bytes)
def test_cli_capacity_devices_garbage_exits_0_or_2(work, head, junk):
    tick("cli: capacity --devices")
    p = put(work / "junk.csv", ((",".join(DEV_COLS) + "\n").encode() if head else b"") + junk)
    res = run_cli(["capacity", "--devices", str(p), "--erlangs-per-user", "0.1", "--format", "json"])
    assert_ok_or_clean_error(res, p)


@fuzz(100)
@given(t=device_tables(), sp=device_spellings)
def test_cli_capacity_devices_same_result_whatever_the_spelling(work, t, sp):
    tick("cli: capacity --devices")
    args = ["capacity", "--erlangs-per-user", "0.1", "--format", "json", "--devices"]
    base = run_cli([*args, str(put(work / "c.csv", render(t)))])
    other = run_cli([*args, str(put(work / "v.csv", render(t, sp)))])
    assert base.code == 0 and other.code == 0 and other.out == base.out, (base.err, other.err)


# ----- sites.csv (centrex inventory import) ---------------------------------------------------------------
@st.composite
def site_tables(draw, min_rows: int = 0, max_rows: int = 10) -> Table:
    rows = []
    for i in range(draw(st.integers(min_rows, max_rows))):
        start = draw(st.none() | st.dates())
        rows.append(
            (
                f"SITE-{i}",
                draw(st.sampled_from(["ACME", "Boulangerie Émile", "Cabinet, Dupont & fils"])),
                draw(st.sampled_from(["1 rue de la Paix", "12, avenue Foch", "3 place d'Italie"])),
                draw(st.sampled_from(POSTCODES)),
                draw(st.sampled_from(["Paris", "Lyon", "Strasbourg", "Ajaccio"])),
                draw(st.sampled_from(PROFILES)),
                "" if start is None else start.isoformat(),
            )
        )
    return Table(SITE_COLS, tuple(rows))


site_spellings = spellings(len(SITE_COLS)).map(lambda sp: dataclasses.replace(sp, upper_header=False))


@fuzz(300)
@given(t=site_tables(), sp=site_spellings)
def test_sites_spellings_read_the_same(work, t, sp):
    tick("sites.csv")
    canon = read_sites_csv(put(work / "canon.csv", render(t)))
    assert read_sites_csv(put(work / "variant.csv", render(t, sp))) == canon


BAD_SITE_VALUES = {
    "site": ["", "  "],
    "customer": ["", " "],
    "address": [""],
    "postcode": ["7500", "ABCDE", "750011", "", "99999", "00000", "75 001"],
    "city": [""],
    "profile": ["alleoo", "", "orange", "all set"],
    "service_start": ["2026-02-30", "31/12/2026", "demain", "2026-13-01"],
}


@fuzz(400)
@given(t=site_tables(min_rows=1), sp=site_spellings, data=st.data())
def test_sites_one_bad_cell_is_located(work, t, sp, data):
    tick("sites.csv")
    k = data.draw(st.integers(0, len(t.rows) - 1))
    field = data.draw(st.sampled_from([*SITE_COLS, "duplicate"]))
    if field == "duplicate" and k > 0:
        field, value = "site", t.rows[data.draw(st.integers(0, k - 1))][0]
    else:
        field = "site" if field == "duplicate" else field
        value = data.draw(st.sampled_from(BAD_SITE_VALUES[field]))
    p = put(work / "bad.csv", render(t.with_cell(k, field, value), sp))
    err = read_or_error(read_sites_csv, p)
    assert isinstance(err, InputError), f"accepted {field}={value!r}"
    assert (err.line, err.field) == (k + 2, field), (str(err), field, value)


@fuzz(300)
@given(head=st.booleans(), junk=garbage_bytes)
def test_sites_garbage_never_crashes(work, head, junk):
    tick("sites.csv")
    prefix = (",".join(SITE_COLS) + "\n").encode() if head else b""
    read_or_error(read_sites_csv, put(work / "junk.csv", prefix + junk))


@pytest.fixture(scope="module")
def db(work) -> str:
    url = str(work / "inv.db")
    assert run_cli(["db", "upgrade", "--db", url]).code == 0
    return url


@fuzz(120)
@given(t=site_tables(min_rows=1), data=st.data(), junk=st.none() | garbage_bytes)
def test_cli_inventory_import_refused_file_changes_nothing(work, db, t, data, junk):
    """A refused sites.csv: exit 2, one line, and not one site imported (all rows or none)."""
    tick("cli: inventory import")
    before = run_cli(["inventory", "sites", "--db", db, "--format", "json"])
    if junk is None:
        k = data.draw(st.integers(0, len(t.rows) - 1))
        field = data.draw(st.sampled_from(["postcode", "profile", "service_start"]))
        doc = render(t.with_cell(k, field, data.draw(st.sampled_from(BAD_SITE_VALUES[field]))))
    else:
        doc = (",".join(SITE_COLS) + "\n").encode() + junk
    p = put(work / "import.csv", doc)
    res = run_cli(["inventory", "import", str(p), "--db", db, "--format", "json"])
    if junk is None or res.code != 0:
        assert_clean_error(res, p)
        assert run_cli(["inventory", "sites", "--db", db, "--format", "json"]).out == before.out


# ----- numbers file (centrex port create --numbers) -------------------------------------------------------
NUMBERS = ["+33170000000", "01 70 00 00 01", "0170000002", "+33 1 70 00 00 03", "0033170000004", "0970000005"]


@fuzz(300)
@given(
    nums=st.lists(st.sampled_from(NUMBERS), unique=True, min_size=1),
    header=st.booleans(),
    bom=st.booleans(),
    crlf=st.booleans(),
    # no lone surrogates: a file cannot hold one (tox -e fuzz drew "\ud800")
    bad=st.none() | st.text(st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp")), max_size=14),
    data=st.data(),
)
def test_numbers_file_read_or_located(work, nums, header, bom, crlf, bad, data):
    tick("numbers file")
    lines = (["number"] if header else []) + list(nums)
    k = None
    if bad is not None:
        k = data.draw(st.integers(0, len(lines) - 1))
        lines[k] = bad
    eol = "\r\n" if crlf else "\n"
    p = put(work / "numbers.txt", ("\ufeff" if bom else "").encode() + eol.join(lines).encode() + b"\n")
    res = read_or_error(read_numbers_file, p)
    if bad is None:
        assert len(res) == len(nums)
    elif isinstance(res, InputError) and res.line is not None:
        assert res.line == k + 1, (res, k)


@fuzz(200)
@given(junk=garbage_bytes)
def test_numbers_file_garbage_never_crashes(work, junk):
    tick("numbers file")
    read_or_error(read_numbers_file, put(work / "junk.txt", junk))


def test_semicolon_exports_are_accepted(work):
    """Devices and sites exported by a French spreadsheet (`;`, BOM, CRLF) read like the plain files."""
    d = Table(DEV_COLS, (("D1", "desk_phone", "Ana", ""), ("D2", "common_room_phone", "", "Hall")))
    fr = Spelling(bom=True, semicolon=True, crlf=True)
    assert _read_devices(put(work / "d-fr.csv", render(d, fr))) == _read_devices(
        put(work / "d.csv", render(d))
    )
    s = Table(SITE_COLS, (("S1", "ACME", "1 rue X", "75001", "Paris", "alleo", "2026-01-05"),))
    assert read_sites_csv(put(work / "s-fr.csv", render(s, fr))) == read_sites_csv(
        put(work / "s.csv", render(s))
    )


# ----- a required column missing, in any reader -----------------------------------------------------------
def _missing_column_readers():
    from contracts.explain import read_theirs
    from contracts.profile import load_profile
    from contracts.records import read_billing, read_incidents, read_installs
    from contracts.usage import COLUMNS as CDR_COLS
    from contracts.usage import audit

    progetcom = load_profile("progetcom")
    return {
        "incidents": (("ticket", "site", "notified_at", "restored_at", "cause"), read_incidents),
        "billing": (("site", "month", "recurring_fees", "usage_charges"), read_billing),
        "installs": (
            ("site", "handsets", "indicative_date", "service_start", "customer_caused"),
            read_installs,
        ),
        "statement": (("site", "month", "credit_eur"), read_theirs),
        "devices": (DEV_COLS, _read_devices),
        "sites": (SITE_COLS[:-1], read_sites_csv),
        "cdr": (CDR_COLS, lambda p: audit(progetcom, p)),
    }


MISSING = _missing_column_readers()


@fuzz(200)
@given(which=st.sampled_from(sorted(MISSING)), data=st.data(), extra=st.booleans())
def test_a_missing_required_column_is_named_on_line_1(work, which, data, extra):
    tick("missing column (all CSV readers)")
    cols, reader = MISSING[which]
    drop = data.draw(st.sampled_from(cols))
    header = [c for c in cols if c != drop] + (["comment"] if extra else [])
    p = put(
        work / f"missing-{which}.csv", (",".join(header) + "\n" + ",".join("x" * len(header)) + "\n").encode()
    )
    err = read_or_error(reader, p)
    assert isinstance(err, InputError) and err.line == 1 and drop in str(err), (which, drop, err)
