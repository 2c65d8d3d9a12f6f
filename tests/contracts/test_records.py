"""CSV readers: bad input names file, line and field; BOM and DST hours."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from contracts.errors import InputError
from contracts.records import NAT, read_billing, read_incidents, read_installs

HEAD = "ticket,site,notified_at,restored_at,cause\n"


def write(tmp_path: Path, text: str, name: str = "incidents.csv", bom: bool = False) -> Path:
    p = tmp_path / name
    p.write_bytes(("\ufeff" if bom else "").encode() + text.encode())
    return p


@pytest.mark.parametrize(
    "body,line,field,reason",
    [
        ("T1,S,2026-03-02T10:00,2026-03-02T11:00\n", 2, None, "malformed row"),
        ("T1,S,2026-03-02T10:00,2026-03-02T11:00,lightning\n", 2, "cause", "unknown cause"),
        ("T1,S,2026-03-02T10:00,2026-03-02T09:00,network\n", 2, "restored_at", "restored before notified"),
        ("T1,S,2026-03-02T10:00,,network\nT1,S,2026-03-03T10:00,,network\n", 3, "ticket", "duplicate ticket"),
        ("T1,S,2026-03-29T02:30:00,,network\n", 2, "notified_at", "skipped DST hour"),
        ("T1,S,yesterday,,network\n", 2, "notified_at", "ISO 8601"),
        ("T1,S,,,network\n", 2, "notified_at", "empty"),
    ],
)
def test_bad_incidents(tmp_path, body, line, field, reason):
    p = write(tmp_path, HEAD + "T0,S,2026-03-02T08:00,2026-03-02T09:00,network\n" + body)
    with pytest.raises(InputError) as exc:
        read_incidents(p)
    e = exc.value
    assert reason in e.reason and e.line == line + 1 and e.field == field and e.file == str(p)


def test_missing_column(tmp_path):
    with pytest.raises(InputError, match="missing column"):
        read_incidents(write(tmp_path, "ticket,site,notified_at\n"))


def test_bom_offsets_open_and_autumn_hour(tmp_path):
    p = write(
        tmp_path,
        HEAD
        + "A,S,2026-10-25T02:30:00,,network\n"
        + "B,S,2026-10-25T02:30:00+01:00,2026-10-25T04:00:00Z,router\n\n",
        bom=True,
    )
    inc = read_incidents(p)
    assert inc.restored[0] == NAT
    assert inc.notified[1] - inc.notified[0] == 3600  # first occurrence of the repeated hour is CEST
    assert list(inc.ticket) == ["A", "B"]


@pytest.mark.parametrize(
    "row,field,reason",
    [
        ("S,2026-13,10,1", "month", "bad month"),
        ("S,2026-03,ten,1", "recurring_fees", "not a number"),
        ("S,2026-03,10,abc", "usage_charges", "not a number"),
    ],
)
def test_bad_billing(tmp_path, row, field, reason):
    p = write(tmp_path, "site,month,recurring_fees,usage_charges\n" + row + "\n", "billing.csv")
    with pytest.raises(InputError) as exc:
        read_billing(p)
    assert exc.value.field == field and reason in exc.value.reason and exc.value.line == 2


def test_billing_departement_and_installs(tmp_path):
    b = read_billing(
        write(tmp_path, "site,month,recurring_fees,usage_charges,departement\nS,2026-03,10.5,1,57\n", "b.csv")
    )
    assert b[0].departement == "57" and str(b[0].recurring) == "10.5"
    ins = read_installs(
        write(
            tmp_path,
            "site,handsets,indicative_date,service_start,customer_caused\nS,4,2026-01-05,2026-02-20,0\nT,3,2026-01-05,,1\n",
            "i.csv",
        )
    )
    assert len(ins) == 1 and ins[0].handsets == 4 and not ins[0].customer_caused


# ----- the pyarrow block path gives what the stdlib path gives ---------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from rb_harness import budget  # noqa: E402

from contracts import tables  # noqa: E402
from contracts.instants import parse_instant  # noqa: E402


def _read_exact(p):
    """The incidents read by the stdlib path alone (every block refused by the pyarrow path)."""
    plain = tables._plain
    tables._plain = lambda chunk: False
    try:
        return read_incidents(p)
    finally:
        tables._plain = plain


def _outcome(read, p):
    try:
        inc = read(p)
    except InputError as e:
        return ("error", str(e))
    return (
        list(inc.ticket),
        list(inc.site),
        None if inc.departement is None else list(inc.departement),
        *(
            None if a is None else (a.dtype.str, a.tolist())
            for a in (inc.notified, inc.restored, inc.cause, inc.pending_since, inc.answered_at, inc.line)
        ),
    )


_TIMES = [
    "2026-03-02T10:00",
    "2026-03-02 10:00:00",
    "2026-03-02T10:00:00Z",
    "2026-03-02T12:00:00+02:00",
    "2026-03-02T08:00-01:30",
    "2026-10-25T02:30:00",
    "2026-03-29T02:30:00",
    "2026-03-03",
    "2026-02-30T10:00:00",
    "1890-01-01T00:00:00Z",
    "2026-03-02T10:00:00.5",
    " 2026-03-02T10:00",
    "2026-03-02T24:00:00",
    "2026-03-02X10:00:00",
    "yesterday",
    "",
]
_TEXT = ["S1", "S2", "Paris Nord", "Sé", " S1", "S1\u00a0", "", "T1", "x" * 70, "57", "a;b", "a,b", '"q"']


@settings(
    max_examples=budget(300), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.data(),
    delim=st.sampled_from([",", ";"]),
    crlf=st.booleans(),
    bom=st.booleans(),
    optional=st.sampled_from([(), ("departement",), ("pending_since", "answered_at"), ("pending_since",)]),
    block=st.sampled_from([None, 64, 7]),
)
def test_pyarrow_blocks_agree_with_the_stdlib_reader(
    tmp_path, monkeypatch, data, delim, crlf, bom, optional, block
):
    cols = ["ticket", "site", "notified_at", "restored_at", "cause", *optional]
    cols = data.draw(st.permutations(cols))
    n = data.draw(st.integers(1, 6))
    clean = data.draw(st.booleans())  # only valid values: the pyarrow path must take the file itself

    def pick(good: list[str], bad: list[str]) -> str:
        return data.draw(st.sampled_from(good if clean else good + bad))

    rows = []
    for i in range(n):
        val = {
            "ticket": pick([f"T{i}"], ["T0", ""]),
            "site": pick(_TEXT[:4], _TEXT[4:]),
            "departement": pick(["57", "", "75"], []),
            "cause": pick(["network", "router"], ["lightning"]),
            "notified_at": pick(_TIMES[:6], _TIMES[6:]),
            "restored_at": pick(["", "2026-03-04T10:00", "2026-11-02T10:00:00Z"], _TIMES),
            "pending_since": pick(["", "2026-03-02T10:00:00+01:00"], _TIMES),
            "answered_at": pick(["", "2026-03-02 10:30"], _TIMES),
        }
        rows.append(delim.join(val[c] for c in cols))
    eol = "\r\n" if crlf else "\n"
    tail = data.draw(st.sampled_from(["", eol, eol + eol]))
    text = ("\ufeff" if bom else "") + eol.join([delim.join(cols), *rows]) + tail
    p = tmp_path / "inc.csv"
    p.write_bytes(text.encode())
    if block:
        monkeypatch.setattr(tables, "BLOCK", block)
    assert _outcome(read_incidents, p) == _outcome(_read_exact, p)


def test_plain_files_are_read_by_pyarrow_in_small_blocks(tmp_path, monkeypatch):
    rows = [f"T{i};S{i % 3};2026-03-{1 + i % 28:02d}T10:00:00Z;;network\r\n" for i in range(200)]
    p = write(tmp_path, HEAD.replace(",", ";") + "".join(rows), bom=True)
    monkeypatch.setattr(tables, "BLOCK", 100)
    seen = []
    monkeypatch.setattr(tables.Table, "_exact", lambda *a: seen.append(a) or iter(()))
    inc = read_incidents(p)  # every block by pyarrow: the stdlib path never asked
    assert not seen and len(inc) == 200
    monkeypatch.undo()
    assert _outcome(lambda _: inc, p) == _outcome(_read_exact, p)
    assert inc.site[:4] == ["S0", "S1", "S2", "S0"] and inc.line[-1] == 201


def test_the_stdlib_path_takes_what_pyarrow_cannot_vouch_for(tmp_path):
    good = HEAD + "T0,S,2026-03-02T08:00,2026-03-02T09:00,network\n"
    for extra in (
        "\nT1,S,2026-03-02T08:00,,network\n",
        'T1,"S",2026-03-02T08:00,,network\n',
        "T1,S,2026-03-02T08:00,,network\r",
    ):
        chunk = (good + extra).partition("\n")[2].encode()
        assert not tables._plain(chunk)
        inc = read_incidents(write(tmp_path, good + extra))
        assert inc.ticket == ["T0", "T1"] and inc.site == ["S", "S"]


@pytest.mark.parametrize(
    "text,ok",
    [
        ("2026-03-29T02:30:00", False),  # skipped spring hour: does not exist (CONTRACTS §13)
        ("2026-03-29T03:00:00", True),
        ("2026-10-25T02:30:00", True),  # repeated autumn hour: first occurrence
        ("2026-03-29T02:30:00+01:00", True),
        ("2026-03-29", True),
        ("soon", False),
    ],
)
def test_as_of_instant(text, ok):
    if ok:
        assert parse_instant(text).tzinfo is not None
    else:
        with pytest.raises(InputError) as exc:
            parse_instant(text)
        assert exc.value.field == "--as-of"


def test_causes_are_read_without_regard_to_case(tmp_path, monkeypatch):
    from contracts.choices import CAUSES

    body = "".join(
        f"T{i},S,2026-03-02T08:00,,{c}\n" for i, c in enumerate(["Network", "ROUTER", " Move ", "move"])
    )
    for block in (None, 1):  # the column-wise byte path and the value-by-value path agree
        if block:
            monkeypatch.setattr(tables, "BLOCK", block)
        inc = read_incidents(write(tmp_path, HEAD + body))
        assert [CAUSES[c] for c in inc.cause] == ["network", "router", "move", "move"]
    with pytest.raises(InputError) as exc:
        read_incidents(write(tmp_path, HEAD + body + "T9,S,2026-03-02T08:00,,Lightning\n"))
    assert exc.value.line == 6 and exc.value.field == "cause" and "'Lightning'" in exc.value.reason


def test_ticket_columns_detected_by_diagnosis_replacement_warranty(tmp_path, monkeypatch):
    head = HEAD.strip() + ",detected_by,diagnosed_at,replaced_at,under_warranty\n"
    body = (
        "A,S,2026-03-02T08:00,,network,Provider,2026-03-02T09:00,2026-03-03T09:00,TRUE\n"
        "B,S,2026-03-02T08:00,,network,,,,\n"
        "C,S,2026-03-02T08:00,,router,customer,2026-03-02T10:00,,no\n"
    )
    for block in (None, 1):
        if block:
            monkeypatch.setattr(tables, "BLOCK", block)
        inc = read_incidents(write(tmp_path, head + body))
        assert inc.provider_detected.tolist() == [True, False, False]
        assert inc.diagnosed_at[0] == inc.notified[0] + 3600 and inc.diagnosed_at[1] == NAT
        assert inc.replaced_at[0] - inc.diagnosed_at[0] == 86400 and inc.replaced_at[2] == NAT
        assert inc.under_warranty.tolist() == [1, -1, 0]
    plain = read_incidents(write(tmp_path, HEAD + "A,S,2026-03-02T08:00,,network\n"))
    assert plain.provider_detected is None and plain.replaced_at is None and plain.under_warranty is None
    from contracts.records import subset

    sub = subset(inc, np.array([2, 0]))
    assert sub.provider_detected.tolist() == [False, True] and sub.under_warranty.tolist() == [0, 1]


@pytest.mark.parametrize(
    "cells,field,reason",
    [
        ("robot,,,", "detected_by", "expected customer or provider"),
        ("provider,2026-03-02T07:00,,", "diagnosed_at", "diagnosed before notified"),
        ("provider,2026-03-02T09:00,2026-03-02T08:30,", "replaced_at", "replaced before diagnosed"),
        ("provider,,2026-03-02T07:30,", "replaced_at", "replaced before notified"),
        ("provider,,,maybe", "under_warranty", "expected true, false or empty"),
    ],
)
def test_bad_ticket_columns(tmp_path, cells, field, reason):
    head = HEAD.strip() + ",detected_by,diagnosed_at,replaced_at,under_warranty\n"
    ok = "T0,S,2026-03-02T08:00,,network,,,,\n"
    with pytest.raises(InputError) as exc:
        read_incidents(write(tmp_path, head + ok + f"T1,S,2026-03-02T08:00,,network,{cells}\n"))
    assert exc.value.field == field and reason in exc.value.reason and exc.value.line == 3
