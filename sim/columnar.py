"""Encode a replication's columns as CSV text or as an Arrow table, following `sim.rundir`'s row types.

A replication's tables travel as columns (numpy arrays and lists), never as row objects:

| kind      | values                              | empty      |
|-----------|-------------------------------------|------------|
| int       | int64 array or list of int          | —          |
| text      | list of str                         | ""         |
| cause     | list of str                         | —          |
| minutes   | float64 array                       | NaN        |
| money     | int64 array of cents                | NAT        |
| instant   | int64 array of epoch seconds        | NAT        |
| date      | list of date or None                | None       |
| flag      | int8 array of 0/1                   | -1         |

The CSV text is byte for byte what `csv.writer` (minimal quoting, "\\n" line ends) writes for the same
values; a table holding a text that needs quoting is written by `csv.writer` itself.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from contracts.records import NAT
from sim.rundir import REPLICATION, Kind, Table
from sim.timefmt import iso_paris

Columns = Mapping[str, Any]
CSV_EOL = "\n"
_NEEDS_QUOTES = (",", '"', "\r", "\n")


def length(cols: Columns, table: Table) -> int:
    """Number of rows (the length of the first written column)."""
    return len(cols[table.written[0].name])


def _cents(v: np.ndarray) -> list[str]:
    a = np.abs(v).tolist()
    return [
        f"{'-' if neg else ''}{c // 100}.{c % 100:02d}" for c, neg in zip(a, (v < 0).tolist(), strict=True)
    ]


def text_of(kind: Kind, values: Any) -> list[str]:
    """The CSV texts of one column."""
    if kind in (Kind.text, Kind.cause):
        return values if isinstance(values, list) else list(values)
    if kind is Kind.int:
        return list(map(str, np.asarray(values).tolist()))
    if kind is Kind.minutes:
        return ["" if x != x else f"{x:.2f}" for x in np.asarray(values, dtype=float).tolist()]
    if kind is Kind.money:
        c = np.asarray(values, dtype=np.int64)
        empty = c == NAT
        out = _cents(np.where(empty, 0, c))
        for k in np.flatnonzero(empty).tolist():
            out[k] = ""
        return out
    if kind is Kind.instant:
        s = np.asarray(values, dtype=np.int64)
        empty = s == NAT
        if not empty.any():
            return iso_paris(s)
        out = iso_paris(np.where(empty, 0, s))
        for k in np.flatnonzero(empty).tolist():
            out[k] = ""
        return out
    if kind is Kind.date:
        return ["" if d is None else d.isoformat() for d in values]
    if kind is Kind.flag:
        return [("", "0", "1")[x + 1] for x in np.asarray(values, dtype=np.int64).tolist()]
    raise ValueError(f"unknown column kind {kind}")  # pragma: no cover - Kind is closed


def csv_text(table: Table, cols: Columns, replication: int | None) -> str:
    """The rows of `cols` as CSV text without header; a first replication column when `replication` is
    given."""
    return csv_bytes(table, cols, replication).decode("utf-8")


def csv_bytes(table: Table, cols: Columns, replication: int | None) -> bytes:
    """`csv_text` encoded: formatted column by column by Arrow and written by its CSV writer, or by
    `csv.writer` when a text needs quoting."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    n = length(cols, table)
    if n == 0:
        return b""
    texts = [_arrow_text(c.kind, cols[c.name]) for c in table.written]
    if any(_needs_quotes(t) for t, c in zip(texts, table.written, strict=True) if c.kind is Kind.text):
        return _python_csv(table, cols, replication).encode("utf-8")
    if replication is not None:
        texts.insert(0, pa.array([str(replication)] * n, pa.string()))
    arrays = dict(zip([f"c{k}" for k in range(len(texts))], texts, strict=True))
    sink = pa.BufferOutputStream()
    pacsv.write_csv(pa.table(arrays), sink, pacsv.WriteOptions(include_header=False, quoting_style="none"))
    return sink.getvalue().to_pybytes()


def _needs_quotes(texts) -> bool:
    import pyarrow.compute as pc

    return any(pc.any(pc.match_substring(texts, ch)).as_py() for ch in _NEEDS_QUOTES)


def _python_csv(table: Table, cols: Columns, replication: int | None) -> str:
    n = length(cols, table)
    texts: list[Sequence[str]] = [text_of(c.kind, cols[c.name]) for c in table.written]
    if replication is not None:
        texts.insert(0, [str(replication)] * n)
    buf = io.StringIO()
    csv.writer(buf, lineterminator=CSV_EOL).writerows(zip(*texts, strict=True))
    return buf.getvalue()


def _decimal_text(cents: np.ndarray, empty: np.ndarray | None = None):
    """'12.34' texts of whole cents (non-negative), null where `empty`."""
    import pyarrow as pa
    import pyarrow.compute as pc

    whole = pa.array(cents // 100).cast(pa.string())
    frac = pc.utf8_lpad(pa.array(cents % 100).cast(pa.string()), width=2, padding="0")
    out = pc.binary_join_element_wise(whole, frac, ".")
    return out if empty is None else pc.if_else(pa.array(empty), pa.scalar(None, pa.string()), out)


def _arrow_text(kind: Kind, values: Any):
    """One column's CSV texts as an Arrow string array (nulls are written empty): the same texts as
    `text_of`, computed by Arrow."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if kind in (Kind.text, Kind.cause):
        return pa.array(values if isinstance(values, list) else list(values), pa.string())
    if kind is Kind.int:
        return pa.array(np.asarray(values, dtype=np.int64)).cast(pa.string())
    if kind is Kind.minutes:
        x = np.asarray(values, dtype=float)
        empty = np.isnan(x)
        scaled = np.where(empty, 0.0, x) * 100.0
        cents = np.rint(scaled)
        # f"{x:.2f}" rounds the exact binary value; np.rint(x * 100) agrees unless x * 100 is within
        # rounding error of a half cent, or negative: those few are formatted by Python
        odd = (np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6) | (scaled < 0) | (scaled > 1e15)
        text = _decimal_text(cents.astype(np.int64), empty)
        if odd.any():
            fixed = text.to_pylist()
            for k in np.flatnonzero(odd & ~empty).tolist():
                fixed[k] = f"{x[k]:.2f}"
            return pa.array(fixed, pa.string())
        return text
    if kind is Kind.money:
        c = np.asarray(values, dtype=np.int64)
        empty = c == NAT
        if empty.any():
            return pa.array(_cents(np.where(empty, 0, c)), pa.string(), mask=empty)
        if (c < 0).any():
            return pa.array(_cents(c), pa.string())
        return _decimal_text(c)
    if kind is Kind.instant:  # numpy's formatting beats Arrow's strftime here
        s = np.asarray(values, dtype=np.int64)
        empty = s == NAT
        return pa.array(iso_paris(np.where(empty, 0, s)), pa.string(), mask=empty if empty.any() else None)
    if kind is Kind.date:
        return pa.array(list(values), pa.date32()).cast(pa.string())
    if kind is Kind.flag:
        v = np.asarray(values, dtype=np.int64)
        return pc.if_else(pa.array(v < 0), pa.scalar(None, pa.string()), pa.array(v).cast(pa.string()))
    raise ValueError(f"unknown column kind {kind}")  # pragma: no cover - Kind is closed


# ----- Arrow ----------------------------------------------------------------------------------------
PARIS_TZ = "Europe/Paris"


def arrow_type(kind: Kind):
    """The Arrow type of a column kind."""
    import pyarrow as pa

    return {
        Kind.int: pa.int64(),
        Kind.text: pa.string(),
        Kind.cause: pa.string(),
        Kind.minutes: pa.float64(),
        Kind.money: pa.decimal128(12, 2),
        Kind.instant: pa.timestamp("s", tz=PARIS_TZ),
        Kind.date: pa.date32(),
        Kind.flag: pa.bool_(),
    }[kind]


def arrow_schema(table: Table):
    """The Arrow schema of a table's Parquet files (the replication is the partition key, not a column)."""
    import pyarrow as pa

    return pa.schema([pa.field(c.name, arrow_type(c.kind), nullable=c.optional) for c in table.written])


def _arrow_column(kind: Kind, values: Any):
    import pyarrow as pa

    typ = arrow_type(kind)
    if kind in (Kind.text, Kind.cause, Kind.date):
        return pa.array(values if isinstance(values, list) else list(values), typ)
    if kind is Kind.int:
        return pa.array(np.asarray(values, dtype=np.int64), typ)
    if kind is Kind.minutes:
        v = np.asarray(values, dtype=float)
        return pa.array(v, typ, mask=np.isnan(v))
    if kind is Kind.money:
        c = np.asarray(values, dtype=np.int64)
        words = np.empty((len(c), 2), dtype="<i8")  # decimal128: 16-byte little-endian two's complement
        words[:, 0] = c
        words[:, 1] = np.where(c < 0, -1, 0)
        empty = c == NAT
        if empty.any():  # an optional amount: null
            valid = pa.array(~empty).buffers()[1]
            return pa.Array.from_buffers(
                typ, len(c), [valid, pa.py_buffer(words.tobytes())], null_count=int(empty.sum())
            )
        return pa.Array.from_buffers(typ, len(c), [None, pa.py_buffer(words.tobytes())])
    if kind is Kind.instant:
        s = np.asarray(values, dtype=np.int64)
        return pa.array(s, pa.int64(), mask=s == NAT).cast(typ)
    if kind is Kind.flag:
        v = np.asarray(values, dtype=np.int8)
        return pa.array(v == 1, typ, mask=v < 0)
    raise ValueError(f"unknown column kind {kind}")  # pragma: no cover - Kind is closed


def arrow_table(table: Table, cols: Columns):
    """The columns as an Arrow table of `arrow_schema(table)`."""
    import pyarrow as pa

    return pa.Table.from_arrays(
        [_arrow_column(c.kind, cols[c.name]) for c in table.written], schema=arrow_schema(table)
    )


#: Writer settings of every Parquet file: fixed, so that any process writes the same bytes.
PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 3,
    "use_dictionary": True,
    "write_statistics": True,
    "version": "2.6",
    "data_page_version": "1.0",
    "row_group_size": 1 << 20,
    "coerce_timestamps": "ms",  # Parquet has no seconds unit
    "store_schema": True,
}


def parquet_bytes(table: Table, cols: Columns) -> bytes:
    """One Parquet file of the columns (deterministic bytes)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    pq.write_table(arrow_table(table, cols), sink, **PARQUET_OPTIONS)
    return sink.getvalue().to_pybytes()


__all__ = ["REPLICATION", "Columns", "arrow_schema", "arrow_table", "csv_text", "parquet_bytes"]
