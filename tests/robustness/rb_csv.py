"""Hypothesis strategies for CSV inputs: valid tables, their real-world spellings, single bad cells, garbage.

A table is a header plus rows of cell texts; `render` writes it the way another system might have
(UTF-8 BOM, `;` separator of French spreadsheets, CRLF, upper-case header, shuffled or extra columns).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

PARIS = ZoneInfo("Europe/Paris")
T0 = int(datetime(2024, 1, 1, tzinfo=PARIS).timestamp()) // 60
T1 = int(datetime(2027, 12, 31, tzinfo=PARIS).timestamp()) // 60


@dataclass(frozen=True)
class Table:
    """Header and rows of cell texts, in the canonical column order."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def with_cell(self, row: int, column: str, value: str) -> Table:
        j = self.columns.index(column)
        rows = list(self.rows)
        rows[row] = rows[row][:j] + (value,) + rows[row][j + 1 :]
        return replace(self, rows=tuple(rows))


@dataclass(frozen=True)
class Spelling:
    """How a table is written to disk; every spelling must read back as the same data."""

    bom: bool = False
    semicolon: bool = False
    crlf: bool = False
    upper_header: bool = False
    padded_header: bool = False
    extra_column: bool = False
    order: tuple[int, ...] | None = None
    trailing_blank_line: bool = False


def render(table: Table, sp: Spelling = Spelling()) -> bytes:
    """Write `table` as CSV bytes in spelling `sp`."""
    cols = list(table.columns)
    rows = [list(r) for r in table.rows]
    if sp.order is not None:
        cols = [cols[i] for i in sp.order]
        rows = [[r[i] for i in sp.order] for r in rows]
    if sp.extra_column:
        cols.insert(1, "comment")
        for i, r in enumerate(rows):
            r.insert(1, f'note {i}, with; separators "quoted"')
    header = [c.upper() if sp.upper_header else c for c in cols]
    if sp.padded_header:
        header = [f" {h} " for h in header]
    buf = io.StringIO()
    bare_cr = any("\r" in c for r in rows for c in r)  # csv quotes "\r" only when it ends lines
    w = csv.writer(
        buf,
        delimiter=";" if sp.semicolon else ",",
        lineterminator="\r\n" if sp.crlf else "\n",
        quoting=csv.QUOTE_ALL if bare_cr else csv.QUOTE_MINIMAL,
    )
    w.writerow(header)
    w.writerows(rows)
    text = buf.getvalue() + ("\n" if sp.trailing_blank_line else "")
    return ("\ufeff" if sp.bom else "").encode() + text.encode("utf-8")


def spellings(ncols: int) -> st.SearchStrategy[Spelling]:
    """Any combination of the accepted real-world spellings."""
    return st.builds(
        Spelling,
        bom=st.booleans(),
        semicolon=st.booleans(),
        crlf=st.booleans(),
        upper_header=st.booleans(),
        padded_header=st.booleans(),
        extra_column=st.booleans(),
        order=st.none() | st.permutations(range(ncols)).map(tuple),
        trailing_blank_line=st.booleans(),
    )


# ----- times ----------------------------------------------------------------------------------------------
def render_time(minute: int, style: int) -> str:
    """An instant (epoch minutes) as another system would write it; naive = Paris wall clock."""
    dt = datetime.fromtimestamp(minute * 60, PARIS)
    ambiguous = dt.replace(fold=1 - dt.fold).utcoffset() != dt.utcoffset()
    if style == 0 and not ambiguous:
        return dt.strftime("%Y-%m-%dT%H:%M")
    if style == 1 and not ambiguous:
        return dt.strftime("%Y-%m-%d %H:%M:%S")
    if style == 3:
        return datetime.fromtimestamp(minute * 60).astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ")
    if style == 4 and not ambiguous:  # a French spreadsheet: day first
        return dt.strftime("%d/%m/%Y %H:%M")
    return dt.isoformat()


minutes = st.integers(T0, T1)
time_styles = st.integers(0, 4)


def is_iso_time(value: str) -> bool:
    """The reference: would `datetime.fromisoformat` accept this (after stripping blanks), or `strptime`
    read it day first as a French spreadsheet writes it?"""
    for form in ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y"):
        try:
            datetime.strptime(value.strip(), form)
            return True
        except ValueError:
            pass
    try:
        datetime.fromisoformat(value.strip())
    except ValueError:
        return False
    return True


BAD_TIME_SAMPLES = [
    "yesterday",
    "now",
    "today",
    "NaT",
    "2026",
    "2026-03",
    "2026-13-01T10:00",
    "2026-02-30 10:00",
    "2026-01-05T25:00",
    "2026-03-29T02:30",  # skipped DST hour (CONTRACTS §13)
    "2025-03-30 02:15:00",  # skipped DST hour
    "2027-03-28T02:59",  # skipped DST hour
    "31/02/2026 10:00",  # day first (French), no such day
    "01/31/2026",  # month first: refused
    "31/01/2026 25:00",
    "2026-01-05T10:00+25:00",
    "0001-01-01T00:00",
    "9999-12-31T10:00",  # outside the years the engine covers
    "1850-06-01 10:00",
    "2026-01-05T10:00:00 Europe/Paris",
    "\u0662\u0660\u0662\u0666-01-05T10:00",
    "2026-01-05T10:00" + "0" * 300,
]


def bad_times(allow_empty: bool) -> st.SearchStrategy[str]:
    """Texts that are not a valid instant (empty counts as bad unless `allow_empty`)."""
    samples = [s for s in BAD_TIME_SAMPLES if s] + ([] if allow_empty else ["", "   "])
    text = st.text(max_size=40).filter(lambda v: v.strip() != "" and not is_iso_time(v))
    return st.sampled_from(samples) | text


# ----- numbers --------------------------------------------------------------------------------------------
def is_amount(value: str) -> bool:
    """The reference for money cells: a finite, non-negative decimal; decimal comma accepted."""
    try:
        v = Decimal(value.strip().replace(",", "."))
    except InvalidOperation:
        return False
    return v.is_finite() and 0 <= v < Decimal("1e12")


amounts = st.decimals(min_value=0, max_value=99999, places=2, allow_nan=False, allow_infinity=False)


def render_amount(value: Decimal, comma: bool) -> str:
    text = f"{value:.2f}"
    return text.replace(".", ",") if comma else text


BAD_AMOUNTS = [
    "abc",
    "-5",
    "-0.01",
    "NaN",
    "sNaN",
    "Infinity",
    "-inf",
    "1.2.3",
    "12,50 €",
    "",
    "1,234.50",
    "1 234",
]
bad_amounts = st.sampled_from(BAD_AMOUNTS) | st.text(max_size=20).filter(lambda v: not is_amount(v))

# Garbage: bytes and texts that look a bit like CSV, including NULs, lone quotes, Latin-1 bytes.
garbage_bytes = st.one_of(
    st.binary(max_size=400),
    st.text(alphabet=st.sampled_from(list(",;\"'\n\r\t #-:.0123456789TZ+éa\x00")), max_size=300).map(
        str.encode
    ),
    st.text(max_size=200).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.text(max_size=200).map(lambda s: s.encode("latin-1", "replace")),
)
