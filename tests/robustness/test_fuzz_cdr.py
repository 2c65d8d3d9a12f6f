"""Fuzz the call records (`centrex usage audit --cdrs`): the chunked numpy reader must give the same audit
whatever the chunk size and the spelling (BOM, CRLF, extra column, column order), locate one bad cell,
and never crash on garbage."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rb_csv import Table, garbage_bytes, minutes, render, render_time, spellings
from rb_harness import assert_ok_or_clean_error, fuzz, read_or_error, run_cli, tick

from contracts.errors import InputError
from contracts.profile import load_profile
from contracts.usage import COLUMNS, audit

PROFILE = load_profile("progetcom")
CALLEES = [
    "0172587502",
    "0116065200",
    "+33142111737",
    "0033151606858",
    "0612345678",
    "+442071234567",
    "3615",
    "112",
    "+12125550100",
    "0899123456",
]
KINDS = ["handset", "gateway", "pbx", "mobility"]


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz-cdr")


def put(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@st.composite
def cdr_tables(draw, min_rows: int = 0, max_rows: int = 25) -> Table:
    rows = []
    for _ in range(draw(st.integers(min_rows, max_rows))):
        rows.append(
            (
                draw(st.sampled_from(["u0", "u1", "alice", "Émile"])),
                draw(st.sampled_from(CALLEES)),
                render_time(draw(minutes), draw(st.sampled_from([0, 1, 1, 2]))),
                str(draw(st.integers(0, 7200))),
                draw(st.sampled_from(KINDS)),
            )
        )
    return Table(COLUMNS, tuple(rows))


def _audit(path: Path, chunk: int = 4 << 20):
    return audit(PROFILE, path, chunk_bytes=chunk, every_month=True)


def _key(a) -> tuple:
    return (a.records, a.users, a.user_months, a.rows, a.totals)


no_upper = spellings(len(COLUMNS)).map(lambda sp: sp.__class__(**{**sp.__dict__, "upper_header": False}))


@fuzz(300)
@given(t=cdr_tables(), sp=no_upper, chunk=st.sampled_from([64, 100, 257, 1024, 4 << 20]))
def test_cdr_same_audit_whatever_the_chunking_and_spelling(work, t, sp, chunk):
    tick("call records (CDR)")
    canon = _audit(put(work / "canon.csv", render(t)))
    variant = read_or_error(_audit, put(work / "variant.csv", render(t, sp)), chunk)
    if sp.semicolon and isinstance(variant, InputError):
        return  # ';' call records: refused cleanly (see the report), never misread
    assert _key(variant) == _key(canon)


BAD = {
    "caller_user": ["", "  "],
    "callee": ["", "abc", "01 72 58", "+", "12345678901234567890", "06-12"],
    "start": ["", "hier", "2026-02-30T10:00:00", "2026-03-29T02:30:00", "31/02/2026 12:40", "03/16/2026"],
    "duration_s": ["", "x", "-5", "1.5e3", "12s"],
    "device_kind": ["", "phone", "GATEWAY?", "fax"],
}


@fuzz(300)
@given(t=cdr_tables(min_rows=1), data=st.data(), chunk=st.sampled_from([64, 257, 4 << 20]))
def test_cdr_one_bad_cell_is_located(work, t, data, chunk):
    tick("call records (CDR)")
    k = data.draw(st.integers(0, len(t.rows) - 1))
    field = data.draw(st.sampled_from(sorted(BAD)))
    value = data.draw(st.sampled_from(BAD[field]))
    p = put(work / "bad.csv", render(t.with_cell(k, field, value)))
    err = read_or_error(_audit, p, chunk)
    assert isinstance(err, InputError), f"accepted {field}={value!r}"
    assert (err.line, err.field) == (k + 2, field), (str(err), field, value)


@fuzz(300)
@given(head=st.booleans(), junk=garbage_bytes, chunk=st.sampled_from([64, 4 << 20]))
def test_cdr_garbage_never_crashes(work, head, junk, chunk):
    tick("call records (CDR)")
    prefix = (",".join(COLUMNS) + "\n").encode() if head else b""
    read_or_error(_audit, put(work / "junk.csv", prefix + junk), chunk)


@fuzz(150)
@given(head=st.booleans(), junk=garbage_bytes)
def test_cli_usage_audit_garbage_exits_0_or_2(work, head, junk):
    tick("cli: usage audit")
    p = put(work / "cli.csv", ((",".join(COLUMNS) + "\n").encode() if head else b"") + junk)
    assert_ok_or_clean_error(
        run_cli(["usage", "audit", "--contract", "allset", "--cdrs", str(p), "--format", "json"]), p
    )
