"""CSV readers: bad input names file, line and field; BOM and DST hours."""

from __future__ import annotations

from pathlib import Path

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
