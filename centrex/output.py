"""Print results as a table, JSON or CSV; every command that prints a result goes through here."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from enum import Enum, StrEnum
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table


class Format(StrEnum):
    """Output formats shared by every command."""

    table = "table"
    json = "json"
    csv = "csv"


class _Settings:
    """Global switches set by the root callback (`--quiet`, `--debug`)."""

    quiet: bool = False
    debug: bool = False


settings = _Settings()
stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def _plain(value: Any) -> Any:
    """Turn Decimals, enums and dates into JSON-friendly values."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Enum):
        return value.value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def to_json(data: Any) -> str:
    """Serialise `data` as indented JSON (Decimals as numbers).

    A list of rows is written row by row, scalars by the C encoder's pieces: the same text as
    `json.dumps(indent=1)`, whose pure-Python indenting path took a second for 24,000 statement rows."""
    if isinstance(data, list) and data and all(isinstance(r, Mapping) for r in data):
        return "[\n" + ",\n".join(_json_row(r) for r in data) + "\n]"
    return json.dumps(_plain(data), indent=1, ensure_ascii=False)


_STR = json.encoder.encode_basestring  # ensure_ascii=False


def _json_float(v: float) -> str:
    if v != v:
        return "NaN"
    if v in (float("inf"), float("-inf")):
        return "Infinity" if v > 0 else "-Infinity"
    return float.__repr__(v)


def _json_scalar(v: Any) -> str | None:
    """A scalar as json.dumps writes it after _plain, or None for anything else."""
    t = type(v)
    if t is str:
        return _STR(v)
    if t is float:
        return _json_float(v)
    if t is int:
        return int.__repr__(v)
    if t is Decimal:
        return _json_float(float(v))
    if v is None:
        return "null"
    if t is bool:
        return "true" if v else "false"
    if isinstance(v, Enum):
        return _json_scalar(v.value)
    if hasattr(v, "isoformat") and not isinstance(v, Mapping | list | tuple):
        return _STR(v.isoformat())
    return None


def _json_value(v: Any, level: int) -> str | None:
    """`v` as json.dumps(indent=1) writes it at nesting `level` (its closing bracket `level` spaces in):
    scalars, and mappings with str keys and lists made of them; None for anything else."""
    s = _json_scalar(v)
    if s is not None:
        return s
    pad = " " * (level + 1)
    parts = []
    if isinstance(v, Mapping):
        for k, x in v.items():
            if type(k) is not str:
                return None
            s = _json_scalar(x)  # most values: no second call
            if s is None:
                s = _json_value(x, level + 1)
                if s is None:
                    return None
            parts.append(f"{pad}{_STR(k)}: {s}")
        return "{\n" + ",\n".join(parts) + "\n" + " " * level + "}" if parts else "{}"
    if isinstance(v, list | tuple):
        for x in v:
            s = _json_value(x, level + 1)
            if s is None:
                return None
            parts.append(pad + s)
        return "[\n" + ",\n".join(parts) + "\n" + " " * level + "]" if parts else "[]"
    return None


def _json_row(row: Mapping[str, Any]) -> str:
    """One row of a top-level list, indented as json.dumps(indent=1) indents it."""
    s = _json_value(row, 1)
    if s is None:  # something the fast path does not know: the standard encoder, shifted one level in
        text = json.dumps(_plain(row), indent=1, ensure_ascii=False)
        return "\n".join(" " + line for line in text.split("\n"))
    return " " + s


def emit_json_rows(rows: Iterable[Mapping[str, Any]]) -> None:
    """Write a list of rows as JSON (the text of `to_json`) row by row: a row may be built only when it
    is written, so a statement with a million incidents never holds all their objects at once."""
    first = True
    for row in rows:
        sys.stdout.write(("[\n" if first else ",\n") + _json_row(row))
        first = False
    sys.stdout.write("[]\n" if first else "\n]\n")


def to_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], provenance: str | None = None) -> str:
    """Render rows as CSV with the given columns (non-scalar values left out), after a `# ` line."""
    buf = io.StringIO()
    if provenance:
        buf.write(f"# {provenance}\n")
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else _cell(row.get(c)) for c in columns])
    return buf.getvalue()


def _cell(value: Any) -> str:
    value = _plain(value)
    if isinstance(value, float):
        return repr(value) if value != int(value) or abs(value) >= 1e15 else f"{value:.1f}"
    return str(value)


def _table_cell(value: Any) -> str:
    """A table cell for the eye: floats to 8 significant digits (CSV and JSON keep every digit)."""
    value = _plain(value)
    if isinstance(value, float):
        return f"{value:.8g}"
    return _cell(value)


def emit(
    data: Any,
    fmt: Format,
    *,
    columns: Sequence[str] | None = None,
    provenance: str | None = None,
    title: str | None = None,
) -> None:
    """Print `data` (a list of row dicts, or one dict) in `fmt` on stdout.

    JSON prints `data` whole; CSV and table print the scalar `columns` (default: the keys of the first
    row) after a `# provenance` line when one is given.
    """
    if fmt is Format.json:
        sys.stdout.write(to_json(data) + "\n")
        return
    rows = [data] if isinstance(data, Mapping) else list(data)
    if columns is None:
        columns = [k for k, v in (rows[0].items() if rows else []) if not isinstance(v, list | dict)]
    if fmt is Format.csv:
        sys.stdout.write(to_csv(rows, columns, provenance))
        return
    if provenance:
        sys.stdout.write(f"# {provenance}\n")
    if len(rows) > RICH_ROWS:
        _plain_table(rows, columns, title)
        return
    table = Table(title=title, show_lines=False)
    for c in columns:
        table.add_column(c, overflow="fold")
    cells = [["" if row.get(c) is None else _table_cell(row.get(c)) for c in columns] for row in rows]
    for line in cells:
        table.add_row(*line)
    # On a terminal: its width. Piped: wide enough that headers and numbers don't fold (up to 160).
    console = Console(soft_wrap=False)
    if not console.is_terminal:
        natural = sum(max([len(c), *(len(x[i]) for x in cells)]) + 3 for i, c in enumerate(columns)) + 1
        console = Console(soft_wrap=False, width=min(160, max(natural, 100)))
    console.print(table)


RICH_ROWS = 500  # above this a table is plain aligned text: rich took 16 s to lay out 24,000 rows


def _plain_table(rows: list[Mapping[str, Any]], columns: Sequence[str], title: str | None) -> None:
    """Many rows as plain aligned text, written block by block (numbers right-aligned)."""
    cells = [["" if row.get(c) is None else _table_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max([len(c), *(len(x[i]) for x in cells)]) for i, c in enumerate(columns)]
    numeric = [all(_is_number(x[i]) for x in cells if x[i]) for i in range(len(columns))]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric, strict=True)
        ).rstrip()

    out = sys.stdout
    if title:
        out.write(f"{title} ({len(rows):,} rows; --format csv for a file)\n")
    out.write(line(list(columns)) + "\n" + line(["-" * w for w in widths]) + "\n")
    for k in range(0, len(cells), 2000):
        out.write("".join(line(x) + "\n" for x in cells[k : k + 2000]))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def info(message: str) -> None:
    """Print a progress or status line on stderr unless `--quiet` (as is: `[tcp]` is no markup)."""
    if not settings.quiet:
        stderr.print(message, markup=False, highlight=False)


def warn(message: str) -> None:
    """Print a warning line on stderr (always, even with `--quiet`)."""
    stderr.print(f"warning: {message}", markup=False, highlight=False)


@contextmanager
def progress(transient: bool = True):
    """Yield a rich Progress on stderr (disabled with `--quiet` or when stderr is not a terminal)."""
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=stderr,
        transient=transient,
        disable=settings.quiet or not stderr.is_terminal,
    )
    with bar:
        yield bar
