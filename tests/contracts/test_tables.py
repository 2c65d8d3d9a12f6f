"""The one table reader: spellings, real exports' column names, French times, located errors, blocks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from contracts import tables
from contracts.errors import InputError
from contracts.instants import parse_instant, parse_times
from contracts.records import read_billing, read_incidents
from contracts.tables import ColumnMap, delimiter_of, open_table, read_all

HEAD = "ticket,site,notified_at,restored_at,cause\n"
ROW = "T{i},S{s},2026-03-02T10:00,2026-03-02T11:00,network\n"


def put(tmp_path: Path, text: str | bytes, name: str = "t.csv") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode() if isinstance(text, str) else text)
    return p


def test_the_separator_rule():
    assert delimiter_of("a;b;c") == ";" and delimiter_of("a,b;c,d") == "," and delimiter_of("a") == ","


def test_bom_crlf_semicolon_and_the_provenance_line_read_the_same(tmp_path):
    plain = put(tmp_path, HEAD + ROW.format(i=1, s=1), "a.csv")
    french = put(
        tmp_path,
        f"\ufeff# profile=alleo sha256={'0' * 64} choices: overlap=merge\r\n"
        + (HEAD + ROW.format(i=1, s=1)).replace(",", ";").replace("\n", "\r\n"),
        "b.csv",
    )
    a, b = read_incidents(plain), read_incidents(french)
    assert (a.ticket, a.site, a.notified.tolist()) == (b.ticket, b.site, b.notified.tolist())
    assert b.line.tolist() == [3]  # the provenance line counts


def test_a_hash_row_is_data_not_a_comment(tmp_path):
    p = put(tmp_path, HEAD + ROW.format(i=1, s=1) + "#T2,S1,2026-03-02T10:00,,network\n")
    assert read_incidents(p).ticket == ["T1", "#T2"]
    with pytest.raises(InputError, match="missing column") as err:  # another comment is no header
        read_incidents(put(tmp_path, "# exported by the PBX\n" + HEAD, "c.csv"))
    assert err.value.line == 1


def test_french_day_first_times_equal_iso(tmp_path):
    iso = read_incidents(
        put(tmp_path, HEAD + "T1,S1,2026-03-10T09:00,2026-03-10T09:30:15,network\n", "a.csv")
    )
    fr = read_incidents(put(tmp_path, HEAD + "T1,S1,10/03/2026 09:00,10/03/2026 09:30:15,network\n", "b.csv"))
    assert iso.notified.tolist() == fr.notified.tolist() and iso.restored.tolist() == fr.restored.tolist()
    assert parse_instant("29/03/2026").isoformat() == "2026-03-29T00:00:00+01:00"
    with pytest.raises(InputError, match="skipped DST hour"):
        parse_times(["29/03/2026 02:30"], file="f", field="t")
    with pytest.raises(InputError, match="not an ISO 8601 time"):
        parse_times(["03/29/2026 10:00"], file="f", field="t")  # month first: refused


def test_a_real_export_is_read_through_its_column_map(tmp_path):
    export = put(
        tmp_path,
        'Numéro;Site;"Ouvert le";Rétabli le;Cause\nINC-1;S1;10/03/2026 09:00;10/03/2026 10:00;network\n',
    )
    cm = ColumnMap.parse('ticket=Numéro,notified_at="Ouvert le",restored_at=Rétabli le')
    inc = read_incidents(export, cm)
    assert inc.ticket == ["INC-1"] and int(inc.restored[0] - inc.notified[0]) == 3600
    cm.check_used()
    with pytest.raises(InputError, match=r"missing column\(s\) ticket \('numéro'\)"):
        read_incidents(
            put(tmp_path, HEAD.replace("ticket", "id"), "plain.csv"), ColumnMap.parse("ticket=Numéro")
        )


def test_yaml_column_maps_flat_or_by_table_and_typos_refused(tmp_path):
    y = put(tmp_path, "incidents:\n  ticket: Numéro\nbilling:\n  site: Code site\n", "map.yaml")
    cm = ColumnMap.parse(str(y))
    bill = put(tmp_path, 'Code site,month,recurring_fees,usage_charges\nS1,2026-03,"10,50",0\n', "b.csv")
    assert read_billing(bill, cm)[0].recurring == 10.5  # decimal comma in a quoted cell
    with pytest.raises(InputError, match="incidents.ticket"):
        cm.check_used()  # no incidents table was read
    typo = ColumnMap.parse("tiket=Numéro")
    read_billing(bill, ColumnMap.parse("site=Code site"))
    with pytest.raises(InputError, match="tiket") as err:
        read_billing(put(tmp_path, "site,month,recurring_fees,usage_charges\n", "c.csv"), typo)
        typo.check_used()
    assert err.value.field == "--columns"
    with pytest.raises(InputError, match="expected column=Header"):
        ColumnMap.parse("ticket")


@pytest.mark.parametrize("block", [None, 64])
def test_a_bad_row_after_plain_blocks_is_located(tmp_path, monkeypatch, block):
    """pyarrow refuses the block; the stdlib reader takes over from there and names the line."""
    if block:
        monkeypatch.setattr(tables, "BLOCK", block)
    rows = "".join(ROW.format(i=i, s=i % 3) for i in range(40))
    p = put(tmp_path, HEAD + rows + "T99,S1,2026-03-02T10:00,network\n" + ROW.format(i=100, s=1))
    with pytest.raises(InputError) as err:
        read_incidents(p)
    assert (err.value.line, err.value.reason.split(":")[0]) == (42, "malformed row")


def test_not_utf8_is_located(tmp_path):
    p = put(tmp_path, (HEAD + ROW.format(i=1, s=1)).encode() + b"T2,S\xe9,2026-03-02T10:00,,network\n")
    with pytest.raises(InputError, match="not UTF-8") as err:
        read_incidents(p)
    assert err.value.line == 3


def test_blocks_are_bounded_and_every_row_kept(tmp_path, monkeypatch):
    monkeypatch.setattr(tables, "BLOCK", 256)
    n = 500
    text = HEAD + "".join(ROW.format(i=i, s=i % 7) for i in range(n)) + "\n"
    p = put(tmp_path, text)
    with open_table(p, ("ticket",)) as t:
        sizes = [len(b) for b in t.batches(["ticket"])]
    assert sum(sizes) == n and max(sizes) <= 256 // len(ROW.format(i=0, s=0)) + 1
    with open_table(p, ("ticket",)) as t:
        cols, lines = read_all(t, ["ticket", "site"])
    assert len(cols["ticket"]) == n and np.array_equal(lines, np.arange(2, n + 2))
