"""One reader for every CSV table the tool accepts (incidents, billing, installs, statements, sites, devices,
call records, OBL records, numbers files).

What every table gets here, written once:
- UTF-8, with or without a BOM; CRLF or LF line ends.
- The separator: French spreadsheet exports separate with `;` (their decimal comma needs it), so `;` wins
  when the header line holds more `;` than `,`.
- A header on line 1 (line 2 after the tool's own leading `# provenance` line, the only comment line of a
  table): names stripped and compared case-blind, a real export's names mapped to ours by a ColumnMap
  (`--columns ticket=Numéro,notified_at="Ouvert le"` or a YAML file), required columns named when missing.
- Every data row kept or refused with its place (file, line, field, reason): only blank lines are skipped.
- Bounded memory: the file is read in blocks of whole lines.

Speed: a block of plain lines (no quote, no blank line, no NUL or lone CR) is parsed by `pyarrow.csv`, and
its cells handed over with their bytes, so times and codes are decoded column-wise. Any other block, and a
block pyarrow refuses, is read by the stdlib `csv` module from that point on, line by line: it decides
quoting and words the error (which pyarrow cannot place on a line).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import numpy as np

from contracts.errors import InputError
from contracts.profile import is_provenance_line

BLOCK = 1 << 24  # bytes per step (16 MiB: ~250,000 incident rows)
EXACT_ROWS = 50_000  # rows per batch on the stdlib path
PAD = 72  # spare zero bytes after a column's bytes: fixed-width reads past the last cell stay inside
PROVENANCE = b"#"  # how the tool's own first line starts (`# profile=… sha256=… choices: …`)
_EDGE = np.zeros(256, dtype=bool)  # bytes at a cell's edge that str.strip() might remove
_EDGE[[9, 10, 11, 12, 13, 28, 29, 30, 31, 32]] = True
_EDGE[128:] = True


def delimiter_of(header_line: str) -> str:
    """`;` when the header line holds more `;` than `,` (French spreadsheet exports), else `,`."""
    return ";" if header_line.count(";") > header_line.count(",") else ","


def normalise(name: str) -> str:
    """A header name as compared: surrounding blanks dropped, case folded."""
    return name.strip().lower()


# ----- real exports: their column names mapped to ours ----------------------------------------------------
_PAIR = re.compile(r'\s*([^=,\s]+)\s*=\s*("([^"]*)"|\'([^\']*)\'|[^,]*)\s*(?:,|$)')


@dataclass
class ColumnMap:
    """Our column name → the header of that column in a real export, for every table a command reads.

    Built from `--columns ticket=Numéro,notified_at="Ouvert le"` or from a YAML file, flat (`ticket:
    Numéro`) or by table (`incidents: {ticket: Numéro}`). A name is used by each table that has that
    column; `check_used()` refuses a name no table had (a typo would otherwise pass unseen)."""

    flat: dict[str, str] = field(default_factory=dict)
    by_table: dict[str, dict[str, str]] = field(default_factory=dict)
    used: set[tuple[str, str]] = field(default_factory=set)
    source: str = "--columns"

    @classmethod
    def parse(cls, text: str | None) -> ColumnMap:
        """Read the option's value: pairs, or the path of a YAML file."""
        if not text:
            return cls()
        p = Path(text)
        if text.endswith((".yaml", ".yml")) or ("=" not in text and p.exists()):
            return cls._from_yaml(p)
        out, pos = cls(), 0
        while pos < len(text):
            m = _PAIR.match(text, pos)
            if not m or m.end() == pos:
                raise InputError(
                    f"expected column=Header[,column=Header…], got {text[pos:]!r}", field="--columns"
                )
            theirs = m.group(3) if m.group(3) is not None else m.group(4)
            out.flat[normalise(m.group(1))] = (theirs if theirs is not None else m.group(2)).strip()
            pos = m.end()
        return out

    @classmethod
    def _from_yaml(cls, path: Path) -> ColumnMap:
        import yaml

        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror}", file=str(path)) from None
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise InputError(f"not a YAML mapping: {exc}", file=str(path)) from None
        if not isinstance(data, dict):
            raise InputError(
                "expected a mapping `column: Header` (or `table: {column: Header}`)", file=str(path)
            )
        out = cls(source=str(path))
        for key, value in data.items():
            if isinstance(value, dict):
                out.by_table[normalise(str(key))] = {normalise(str(k)): str(v) for k, v in value.items()}
            elif isinstance(value, str | int):
                out.flat[normalise(str(key))] = str(value)
            else:
                raise InputError(f"expected a header name, got {value!r}", file=str(path), field=str(key))
        return out

    def for_table(self, table: str, columns: Sequence[str]) -> dict[str, str]:
        """The pairs that apply to `table`, whose columns are `columns` (theirs, normalised → ours)."""
        pairs = {k: v for k, v in self.flat.items() if k in columns}
        pairs.update(self.by_table.get(table, {}))
        for k in pairs:
            self.used.add((table, k))
        return {normalise(v): k for k, v in pairs.items()}

    def check_used(self) -> None:
        """Refuse a name that no table read by the command has."""
        used = {k for _, k in self.used}
        unknown = [k for k in self.flat if k not in used]
        for table, pairs in self.by_table.items():
            unknown += [f"{table}.{k}" for k in pairs if (table, k) not in self.used]
        if unknown:
            raise InputError(
                f"no table read here has the column(s) {', '.join(unknown)}", file=None, field=self.source
            )


NO_MAP = ColumnMap()


# ----- batches -------------------------------------------------------------------------------------------
class Cells:
    """One column of a batch: its stripped texts (made on first use), and on the pyarrow path its bytes
    for column-wise decoding (`raw`: bytes + PAD zeros, starts, ends), kept when no cell needs stripping."""

    def __init__(self, values: list[str] | None = None, raw=None, arrow=None) -> None:
        self._values = values
        self.raw: tuple[np.ndarray, np.ndarray, np.ndarray] | None = raw
        self._arrow = arrow

    @property
    def values(self) -> list[str]:
        if self._values is None:
            self._values = self._arrow.to_pylist()
            self._arrow = None
        return self._values


@dataclass
class Batch:
    """Consecutive data rows: row i is line `lines[i]` of the file."""

    cells: dict[str, Cells]
    lines: np.ndarray

    def __len__(self) -> int:
        return len(self.lines)

    def values(self, name: str) -> list[str]:
        return self.cells[name].values


# ----- the table -------------------------------------------------------------------------------------------
class Table:
    """An open CSV table: its header checked, its rows read batch by batch (use as a context manager)."""

    def __init__(
        self,
        path: str | Path,
        required: Sequence[str],
        *,
        optional: Sequence[str] = (),
        name: str = "",
        columns: ColumnMap | None = None,
        data: bytes | None = None,
    ) -> None:
        self.file = str(path)
        self.name = name
        try:
            # `data`: the file's bytes already in hand (a devices list passed as text); `path` names it
            self._fh: BinaryIO = io.BytesIO(data) if data is not None else Path(path).open("rb")  # noqa: SIM115
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror}", file=self.file) from None
        try:
            self._read_header(required, optional, columns or NO_MAP)
        except BaseException:
            self._fh.close()
            raise

    def _read_header(self, required: Sequence[str], optional: Sequence[str], columns: ColumnMap) -> None:
        fh, line = self._fh, 1
        head = fh.readline()
        if head.startswith(b"\xef\xbb\xbf"):
            head = head[3:]
        if head.startswith(PROVENANCE) and is_provenance_line(head.decode("utf-8", "replace")):
            head, line = fh.readline(), 2
        try:
            text = head.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError as exc:
            raise InputError(f"not UTF-8 text ({exc.reason})", file=self.file, line=line) from None
        if not text.strip():
            raise InputError("empty file (no header)", file=self.file, line=line)
        self.delimiter = delimiter_of(text)
        try:
            raw = next(csv.reader([text], delimiter=self.delimiter))
        except csv.Error as exc:
            raise InputError(f"malformed header: {exc}", file=self.file, line=line) from None
        mapped = columns.for_table(self.name, [*required, *optional])
        self.raw_header = raw
        self.header = [mapped.get(normalise(h), normalise(h)) for h in raw]
        missing = [c for c in required if c not in self.header]
        if missing:
            theirs = {v: k for k, v in mapped.items()}
            named = ", ".join(f"{c} ({theirs[c]!r})" if c in theirs else c for c in missing)
            raise InputError(
                f"missing column(s) {named}; header is {','.join(raw)}", file=self.file, line=line
            )
        self.header_line = line
        self.width = len(raw)
        self.index = {c: j for j, c in enumerate(self.header)}  # a repeated name: the last one
        self._offset = fh.tell()

    def __enter__(self) -> Table:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._fh.close()

    def has(self, name: str) -> bool:
        return name in self.index

    # -- rows ---------------------------------------------------------------------------------------------
    def batches(self, names: Sequence[str], *, block: int | None = None) -> Iterator[Batch]:
        """The rows, batch by batch, with the columns `names` (those in the header)."""
        names = [n for n in names if n in self.index]
        block = block or BLOCK
        fh, line = self._fh, self.header_line + 1
        fh.seek(self._offset)
        carry = b""
        while True:
            start = fh.tell() - len(carry)
            data = fh.read(block)
            eof = len(data) < block  # a file's short read is its end: the last line needs no newline
            data = carry + data
            if not data:
                return
            if eof:
                chunk, carry = data if data.endswith(b"\n") else data + b"\n", b""
            else:
                cut = data.rfind(b"\n")
                if cut < 0:
                    carry = data
                    continue
                chunk, carry = data[: cut + 1], data[cut + 1 :]
            batch = self._plain_block(chunk, names, line) if _plain(chunk) else None
            if batch is None:  # the stdlib reader decides from here to the end
                yield from self._exact(start, line, names)
                return
            line += len(batch)
            yield batch
            if eof:
                return

    def _plain_block(self, chunk: bytes, names: Sequence[str], line: int) -> Batch | None:
        """The rows of a block of plain lines, parsed by pyarrow; None when pyarrow refuses it."""
        import pyarrow as pa
        from pyarrow import csv as pacsv

        cols = [f"c{j}" for j in range(self.width)]
        want = {self.index[n]: n for n in names}
        try:
            t = pacsv.read_csv(
                pa.py_buffer(chunk),
                # one thread: blocks are small enough, and with pyarrow's thread pool alive at exit the
                # CLI process aborted ("terminate called without an active exception") 1 run in 10
                read_options=pacsv.ReadOptions(
                    column_names=cols, block_size=max(len(chunk), 1 << 20), use_threads=False
                ),
                parse_options=pacsv.ParseOptions(
                    delimiter=self.delimiter, quote_char=False, ignore_empty_lines=False
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(cols, pa.string()),
                    include_columns=[cols[j] for j in want],
                    strings_can_be_null=False,
                ),
            )
        except pa.ArrowInvalid:
            return None
        n = t.num_rows  # one row per line: no quote, no blank line, no lone CR (see _plain)
        cells = {name: _cells(t.column(cols[j])) for j, name in want.items()}
        return Batch(cells, np.arange(line, line + n, dtype=np.int64))

    def _exact(self, offset: int, line: int, names: Sequence[str]) -> Iterator[Batch]:
        """The rest of the file through the stdlib csv module, line by line: quoting as it reads it, blank
        lines skipped, any other row of the wrong width refused with its line."""
        fh = self._fh
        fh.seek(offset)
        first = line
        width, want = self.width, [(n, self.index[n]) for n in names]

        def text_lines() -> Iterator[str]:
            nonlocal line
            for raw in fh:
                try:
                    s = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise InputError(f"not UTF-8 text ({exc.reason})", file=self.file, line=line) from None
                line += 1
                if "\r" in s.rstrip("\r\n"):
                    yield from re.split(r"(?<=\r)(?!\n)", s)
                else:
                    yield s

        reader = csv.reader(text_lines(), delimiter=self.delimiter)
        rows: list[list[str]] = []
        at: list[int] = []
        while True:
            begin = first + reader.line_num
            try:
                r = next(reader, None)
            except csv.Error as exc:
                raise InputError(f"malformed CSV: {exc}", file=self.file, line=begin) from None
            if r is not None:
                if len(r) != width:
                    if not any(x.strip() for x in r):
                        continue  # a blank line: no data
                    raise InputError(
                        f"malformed row: {len(r)} fields, expected {width} ({','.join(self.header)})",
                        file=self.file,
                        line=begin,
                    )
                rows.append(r)
                at.append(begin)
            if rows and (r is None or len(rows) >= EXACT_ROWS):
                yield Batch(
                    {n: Cells([row[j].strip() for row in rows]) for n, j in want},
                    np.array(at, dtype=np.int64),
                )
                rows, at = [], []
            if r is None:
                return

    def rows(self, names: Sequence[str]) -> Iterator[tuple[int, dict[str, str]]]:
        """Row by row: (line, {column: stripped text}), for the small tables read one row at a time."""
        for b in self.batches(names):
            cols = [(n, b.values(n)) for n in names if n in b.cells]
            for i, ln in enumerate(b.lines.tolist()):
                yield ln, {n: v[i] for n, v in cols}


def _plain(chunk: bytes) -> bool:
    """Whether pyarrow may parse this block: no quote, no blank line, no NUL, CR only before LF."""
    if b'"' in chunk or b"\x00" in chunk or chunk.startswith((b"\n", b"\r")):
        return False
    buf = np.frombuffer(chunk, dtype=np.uint8)
    nl = np.flatnonzero(buf == 10)
    gaps = np.diff(nl)
    if (gaps == 1).any():
        return False
    if b"\r" in chunk:
        cr = np.flatnonzero(buf == 13)
        if cr[-1] + 1 >= len(buf) or (buf[cr + 1] != 10).any():
            return False  # a CR alone: the csv module's reading of it
        if ((gaps == 2) & (buf[nl[1:] - 1] == 13)).any():
            return False  # a blank CRLF line
    return True


def _cells(chunked) -> Cells:
    """A pyarrow string column as Cells: its bytes kept when no cell needs stripping."""
    arr = chunked.combine_chunks() if chunked.num_chunks != 1 else chunked.chunk(0)
    _, offsets, data = arr.buffers()
    n = len(arr)
    off = np.frombuffer(offsets, dtype=np.int32, count=n + 1, offset=arr.offset * 4).astype(np.int64)
    size = int(off[-1] - off[0])
    buf = np.zeros(size + PAD, dtype=np.uint8)
    if size:
        buf[:size] = np.frombuffer(data, dtype=np.uint8, count=size, offset=int(off[0]))
    st, en = off[:-1] - off[0], off[1:] - off[0]
    full = en > st
    if _EDGE[buf[st[full]]].any() or _EDGE[buf[en[full] - 1]].any():
        values = arr.to_pylist()
        stripped = [v.strip() for v in values]
        if stripped != values:
            return Cells(stripped)
        return Cells(values, (buf, st, en))
    return Cells(None, (buf, st, en), arr)


def codes(cells: Cells, names: Sequence[str], *, fold_case: bool = False) -> np.ndarray | None:
    """Index in `names` (a short list: the causes) of every cell, compared on its bytes (ASCII letters
    folded to lower case when `fold_case`: `names` are then lower case); None when some cell is none of
    them, or the bytes are not at hand (then the caller words the error from the texts)."""
    if cells.raw is None:
        return None
    buf, st, en = cells.raw
    length = en - st
    w = -(-max(len(x.encode()) for x in names) // 8) * 8
    if len(st) == 0 or int(length.max()) > w or w > PAD:
        return None if len(st) else np.zeros(0, dtype=np.int8)
    mat = np.lib.stride_tricks.sliding_window_view(buf, w)[st] * (np.arange(w) < length[:, None])
    mat = mat.astype(np.uint8)
    if fold_case:
        mat |= ((mat >= 0x41) & (mat <= 0x5A)).astype(np.uint8) << 5  # A-Z → a-z
    words = mat.view("<u8")
    out = np.full(len(st), -1, dtype=np.int8)
    for i, name in enumerate(names):
        b = name.encode()
        want = np.frombuffer(b.ljust(w, b"\0"), dtype="<u8")
        out[(length == len(b)) & (words == want).all(axis=1)] = i
    return None if (out < 0).any() else out


def open_table(
    path: str | Path,
    required: Sequence[str],
    *,
    optional: Sequence[str] = (),
    name: str = "",
    columns: ColumnMap | None = None,
    data: bytes | None = None,
) -> Table:
    """Open a CSV table and check its header (see Table)."""
    return Table(path, required, optional=optional, name=name, columns=columns, data=data)


def read_all(table: Table, names: Sequence[str]) -> tuple[dict[str, list[str]], np.ndarray]:
    """Every row of a small table as columns of stripped texts (and the line of each row)."""
    names = [n for n in names if table.has(n)]
    cols: dict[str, list[str]] = {n: [] for n in names}
    lines: list[np.ndarray] = []
    for b in table.batches(names):
        for n in names:
            cols[n].extend(b.values(n))
        lines.append(b.lines)
    return cols, (np.concatenate(lines) if lines else np.zeros(0, dtype=np.int64))


def first_cells(path: str | Path) -> Iterator[tuple[int, str]]:
    """(line, first cell stripped) of every line of a hand-written list (a numbers file): no header
    required, and `#` lines are comments there (no number starts with `#`). Blank lines give ""."""
    file = str(path)
    try:
        fh = Path(path).open("rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", file=file) from None
    with fh:
        delimiter = None
        for lineno, raw in enumerate(fh, start=1):
            if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                text = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError as exc:
                raise InputError(f"not UTF-8 text ({exc.reason})", file=file, line=lineno) from None
            if text.lstrip().startswith("#") or not text.strip():
                yield lineno, "" if not text.strip() else "#"
                continue
            delimiter = delimiter or delimiter_of(text)
            try:
                cells = next(csv.reader([text], delimiter=delimiter), [""])
            except csv.Error as exc:
                raise InputError(f"malformed CSV: {exc}", file=file, line=lineno) from None
            yield lineno, (cells[0].strip() if cells else "")
