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
    """Serialise `data` as indented JSON (Decimals as numbers)."""
    return json.dumps(_plain(data), indent=1, ensure_ascii=False)


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
