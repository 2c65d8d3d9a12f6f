"""Load a run directory (the files `centrex run` writes) and check it is complete and well formed.

The format is `sim.rundir`'s schema, shared with the writer: the column parsers below are derived from its
row types. Tables are read from CSV files or from Parquet datasets (`--outputs parquet`); with
`--detail none` there are none. Every problem is an `InputError` naming the file, line and field, so
`centrex report` fails with one clear line.

The tables that hold every replication (events, restorations) are read in bounded memory: events keep only
the total outages, restorations become columns (`Restorations`), so a report of 100 replications costs
little more than one of 10.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from centrex.report.shapes import Provisioning, SipFigures, Sla, Summary, checked
from contracts.choices import CAUSES
from contracts.errors import InputError
from sim import rundir
from sim.rundir import Detail, Kind, Outputs, Table

PARIS = ZoneInfo("Europe/Paris")

#: Every file of a run directory under the default options, in the order the report reads them.
REQUIRED_FILES = (
    rundir.SUMMARY,
    rundir.SLA,
    rundir.SCENARIO,
    rundir.RESOLVED,
    *(t.csv_name for t in rundir.TABLES),
)

#: Files a run may have: the inventory's figures, the PBX checks' results.
OPTIONAL_FILES = {"provisioning.json": Provisioning, "sip.json": SipFigures}

Parser = Callable[[str], Any]


def _datetime(text: str) -> datetime:
    """ISO 8601; a time without offset is Paris local time (DESIGN.md, data formats)."""
    from contracts.instants import paris

    return paris(datetime.fromisoformat(text))


def _date(text: str) -> date:
    return datetime.fromisoformat(text).date() if "T" in text or " " in text else date.fromisoformat(text)


def _flag(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes"):
        return True
    if lowered in ("0", "false", "no"):
        return False
    raise ValueError(f"expected 0/1 or true/false, got {text!r}")


def _cause(text: str) -> str:
    """A ticket's cause: one of the cause codes of contracts.choices (CONTRACTS §2)."""
    if text not in CAUSES:
        raise ValueError(f"unknown cause; one of {', '.join(CAUSES)}")
    return text


def _optional(parse: Parser) -> Parser:
    return lambda text: parse(text) if text.strip() else None


_PARSE: dict[Kind, Parser] = {
    Kind.int: int,
    Kind.text: str,
    Kind.minutes: float,
    Kind.money: float,
    Kind.instant: _datetime,
    Kind.date: _date,
    Kind.flag: _flag,
    Kind.cause: _cause,
}


def parsers(table: Table, required: bool) -> dict[str, Parser]:
    """The parsers of a table's `required` (or optional) columns, from the schema."""
    return {
        c.name: _optional(_PARSE[c.kind]) if c.optional else _PARSE[c.kind]
        for c in table.columns
        if c.required is required
    }


@dataclass
class Outage:
    """A span during which a site was totally unavailable (ground truth, one replication)."""

    replication: int
    site: str
    profile: str
    down_at: datetime
    up_at: datetime | None


@dataclass
class Restorations:
    """restorations.csv as columns in file order (it holds every replication's restored tickets): texts as
    codes into `labels` (code 0 is the empty text), numbers in arrays."""

    labels: list[str]
    profile: np.ndarray  # int32 codes
    cause: np.ndarray
    kind: np.ndarray
    clock: np.ndarray  # the `clock` column when given, else code 0
    restored: np.ndarray  # bool: restored_at given
    business: np.ndarray  # float minutes
    wallclock: np.ndarray  # float minutes
    objective: np.ndarray  # float minutes, NaN: none
    within: np.ndarray  # int8: 1, 0, -1 (none)
    site_profiles: dict[str, str]  # site -> profile, first seen

    def __len__(self) -> int:
        return len(self.profile)

    def texts(self, codes: np.ndarray) -> list[str]:
        """The distinct texts of `codes`, in order of the codes."""
        return [self.labels[c] for c in np.unique(codes).tolist()]


class _Builder:
    """Collects restorations block by block into compact arrays."""

    TEXT = ("profile", "cause", "kind", "clock")
    NUM = ("restored", "business", "wallclock", "objective", "within")

    def __init__(self) -> None:
        self.code: dict[str, int] = {"": 0}
        self.chunks: dict[str, list[np.ndarray]] = {k: [] for k in (*self.TEXT, *self.NUM)}
        self.site_profiles: dict[str, str] = {}

    def codes(self, texts: list[str]) -> np.ndarray:
        code = self.code
        return np.array([code.setdefault(t, len(code)) for t in texts], dtype=np.int32)

    def add(self, cols: dict[str, Any]) -> None:
        for k in self.TEXT:
            self.chunks[k].append(cols[k])
        for k in self.NUM:
            self.chunks[k].append(cols[k])

    def build(self) -> Restorations:
        empty = {
            "restored": bool,
            "within": np.int8,
            "business": float,
            "wallclock": float,
            "objective": float,
        }
        arrays = {
            k: np.concatenate(v) if v else np.zeros(0, dtype=empty.get(k, np.int32))
            for k, v in self.chunks.items()
        }
        labels = [""] * len(self.code)
        for t, c in self.code.items():
            labels[c] = t
        return Restorations(labels, *(arrays[k] for k in (*self.TEXT, *self.NUM)), self.site_profiles)


@dataclass
class Run:
    """The parsed content of a run directory."""

    path: Path
    summary: dict[str, Any]
    sla: dict[str, Any]
    scenario_yaml: str
    resolved: dict[str, Any]
    outages: list[Outage]
    event_kinds: Counter[str]
    incidents: list[dict[str, Any]]
    billing: list[dict[str, Any]]
    installs: list[dict[str, Any]]
    porting: list[dict[str, Any]]
    restorations: Restorations
    lifecycle: list[dict[str, Any]] = field(default_factory=list)  # replication 0's lifecycle.csv
    site_profile: dict[str, str] = field(default_factory=dict)
    provisioning: dict[str, Any] | None = None  # provisioning.json (optional: runs with an inventory)
    sip: dict[str, Any] | None = None  # sip.json (optional: `centrex run --sip`)
    detail: Detail = Detail.default

    @property
    def profiles(self) -> list[str]:
        """The contract profiles of the fleet, in the order the summary lists them."""
        return list(self.summary["sites"])


def read_rows(
    path: Path,
    columns: Mapping[str, Parser],
    extra: Mapping[str, Parser] | None = None,
    keep: Callable[[dict[str, str]], bool] | None = None,
) -> list[dict[str, Any]]:
    """Parse a CSV file: required `columns`, optional `extra` ones; other columns are ignored.

    `keep` filters raw rows before parsing (so a large file keeps only what the report needs).
    """
    return list(iter_rows(path, columns, extra, keep))


def iter_rows(
    path: Path,
    columns: Mapping[str, Parser],
    extra: Mapping[str, Parser] | None = None,
    keep: Callable[[dict[str, str]], bool] | None = None,
) -> Iterator[dict[str, Any]]:
    """`read_rows`, one row at a time."""
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        try:
            yield from _parse_rows(path, reader, columns, extra or {}, keep)
        except UnicodeDecodeError:
            raise InputError("not UTF-8 text", file=str(path), line=reader.line_num + 1) from None
        except csv.Error as exc:
            raise InputError(f"not valid CSV: {exc}", file=str(path), line=reader.line_num) from None


def _parse_rows(
    path: Path,
    reader: csv.DictReader,
    columns: Mapping[str, Parser],
    extra: Mapping[str, Parser],
    keep: Callable[[dict[str, str]], bool] | None,
) -> Iterator[dict[str, Any]]:
    header = reader.fieldnames or []
    missing = [c for c in columns if c not in header]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", file=str(path), line=1, field=missing[0])
    parsers = dict(columns) | {k: v for k, v in extra.items() if k in header}
    for raw in reader:
        if keep is not None and not keep(raw):
            continue
        row: dict[str, Any] = {}
        for name, parse in parsers.items():
            text = raw.get(name)
            if text is None:
                raise InputError(
                    "row has fewer fields than the header", file=str(path), line=reader.line_num, field=name
                )
            try:
                row[name] = parse(text)
            except ValueError as exc:
                raise InputError(
                    f"bad value {text!r} ({exc})", file=str(path), line=reader.line_num, field=name
                ) from None
        yield row


# ----- Parquet datasets ---------------------------------------------------------------------------------
def _dataset_rows(
    path: Path, table: Table, where: Callable | None = None, first_only: bool = False
) -> Iterator[dict[str, Any]]:
    """Rows of a Parquet dataset with the Python values the CSV parsers give (instants with their Paris
    offset, money as float), in replication order (only replication 0's when `first_only`);
    `where(pyarrow.dataset)` is a filter expression on the files' columns."""
    import pyarrow as pa
    import pyarrow.dataset as ds

    from sim.timefmt import iso_paris

    try:
        data = ds.dataset(path, format="parquet", partitioning="hive")
        missing = [c.name for c in table.columns if c.required and c.name not in data.schema.names]
        if missing:
            raise InputError(f"missing column(s) {', '.join(missing)}", file=str(path), field=missing[0])
        names = [c.name for c in table.columns if c.name in data.schema.names]
        flt = where(ds) if where is not None else None
        frags = sorted(((_partition_key(f.path), f) for f in data.get_fragments()), key=lambda x: x[0])
        for rep, frag in frags:
            if first_only and rep != 0:
                continue
            got = frag.to_table(columns=[n for n in names if n != rundir.REPLICATION], filter=flt)
            cols: dict[str, list] = {}
            for c in table.columns:
                if c.name not in got.column_names:
                    continue
                col = got.column(c.name)
                if c.kind is Kind.instant:
                    # Parquet has no seconds unit: the files hold milliseconds
                    secs = col.cast(pa.timestamp("s", tz="UTC")).cast(pa.int64()).fill_null(0).to_numpy()
                    valid = ~col.is_null().to_numpy(zero_copy_only=False)
                    texts = iso_paris(secs)
                    cols[c.name] = [_datetime(t) if v else None for t, v in zip(texts, valid, strict=True)]
                elif c.kind is Kind.money:
                    cols[c.name] = [None if x is None else float(x) for x in col.to_pylist()]
                else:
                    cols[c.name] = col.to_pylist()
            for k in range(got.num_rows):
                row = {n: v[k] for n, v in cols.items()}
                if rundir.REPLICATION in names:
                    row[rundir.REPLICATION] = rep
                yield row
    except OSError as exc:
        raise InputError(f"not a readable Parquet dataset: {exc}", file=str(path)) from None


def _partition_key(path: str) -> int:
    for part in Path(path).parts:
        if part.startswith(f"{rundir.REPLICATION}="):
            return int(part.split("=", 1)[1])
    return 0


# ----- loading ------------------------------------------------------------------------------------------
def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError("not UTF-8 text", file=str(path)) from None


def _json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(_text(path))
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", file=str(path), line=exc.lineno) from None
    if not isinstance(data, dict):
        raise InputError("expected a JSON object", file=str(path))
    return data


class _Tables:
    """Where each table of a run directory is, in the format and detail its summary records."""

    def __init__(self, run_dir: Path, outputs: Outputs, detail: Detail) -> None:
        self.dir, self.outputs, self.detail = run_dir, outputs, detail

    def path(self, table: Table) -> Path:
        return self.dir / (table.name if self.outputs is Outputs.parquet else table.csv_name)

    def expected(self) -> list[str]:
        names = [rundir.SUMMARY, rundir.SCENARIO, rundir.RESOLVED]
        if self.detail is not Detail.none:
            names.insert(1, rundir.SLA)
            names += [self.path(t).name for t in rundir.TABLES]
        return names

    def rows(self, table: Table, keep: Callable[[dict[str, str]], bool] | None = None) -> Iterator[dict]:
        """Rows of replication 0 for the tables written for replication 0 (all of them under --detail
        all: the report reads replication 0's), every row for the per-replication tables."""
        if self.detail is Detail.none:
            return iter(())
        path = self.path(table)
        first_only = not table.every_replication
        if self.outputs is Outputs.parquet:
            return _dataset_rows(path, table, first_only=first_only)
        rows = iter_rows(path, parsers(table, True), parsers(table, False), keep)
        if first_only:
            return (r for r in rows if r.get(rundir.REPLICATION, 0) == 0)
        return rows


def load_run(run_dir: Path) -> Run:
    """Read and check every file of `run_dir`; raise InputError naming what is missing or wrong."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise InputError("not a run directory (does not exist or is not a directory)", file=str(run_dir))
    if not (run_dir / rundir.SUMMARY).is_file():
        raise InputError(f"incomplete run directory, missing: {rundir.SUMMARY}", file=str(run_dir))
    summary = checked(Summary, _json(run_dir / rundir.SUMMARY), run_dir / rundir.SUMMARY)
    recorded = summary.get("outputs") or {}
    try:
        tables = _Tables(
            run_dir, Outputs(recorded.get("format", "csv")), Detail(recorded.get("detail", "default"))
        )
    except ValueError as exc:
        raise InputError(
            f"unknown outputs: {exc}", file=str(run_dir / rundir.SUMMARY), field="outputs"
        ) from None
    missing = [name for name in tables.expected() if not (run_dir / name).exists()]
    if missing:
        raise InputError(f"incomplete run directory, missing: {', '.join(missing)}", file=str(run_dir))
    if tables.detail is Detail.none:
        sla: dict[str, Any] = {"provenance": {}, "statements": {}}
    else:
        sla = checked(Sla, _json(run_dir / rundir.SLA), run_dir / rundir.SLA)
    kinds: Counter[str] = Counter()

    def count_and_keep(raw: dict[str, str]) -> bool:
        kinds[raw.get("kind") or ""] += 1
        return (raw.get("total_outage") or "").strip().lower() in ("1", "true", "yes")

    outages = [
        Outage(e["replication"], e["site"], e["profile"], e["down_at"], e["up_at"])
        for e in _events(tables, count_and_keep, kinds)
    ]
    billing = list(tables.rows(rundir.BILLING))
    run = Run(
        path=run_dir,
        summary=summary,
        sla=sla,
        scenario_yaml=_text(run_dir / rundir.SCENARIO),
        resolved=_json(run_dir / rundir.RESOLVED),
        outages=outages,
        event_kinds=kinds,
        incidents=list(tables.rows(rundir.INCIDENTS)),
        billing=billing,
        installs=list(tables.rows(rundir.INSTALLS)),
        porting=list(tables.rows(rundir.PORTING)),
        restorations=_fast_restorations(tables) or _restorations(tables.rows(rundir.RESTORATIONS)),
        lifecycle=list(tables.rows(rundir.LIFECYCLE)),
        detail=tables.detail,
    )
    run.site_profile = _site_profiles(run)
    for name, shape in OPTIONAL_FILES.items():
        if (run_dir / name).is_file():
            setattr(run, name.removesuffix(".json"), checked(shape, _json(run_dir / name), run_dir / name))
    return run


def _events(tables: _Tables, keep: Callable[[dict[str, str]], bool], kinds: Counter[str]) -> Iterator[dict]:
    """The total outages of events (every replication), counting every event's kind on the way."""
    if tables.outputs is Outputs.csv or tables.detail is Detail.none:
        return tables.rows(rundir.EVENTS, keep)
    import pyarrow.dataset as ds

    path = tables.path(rundir.EVENTS)
    try:
        counts = ds.dataset(path, format="parquet", partitioning="hive").to_table(columns=["kind"])
    except OSError as exc:
        raise InputError(f"not a readable Parquet dataset: {exc}", file=str(path)) from None
    for item in counts.column("kind").value_counts().to_pylist():
        kinds[item["values"] or ""] += item["counts"]
    return _dataset_rows(path, rundir.EVENTS, lambda d: d.field("total_outage"))


def _fast_restorations(tables: _Tables) -> Restorations | None:
    """restorations.csv streamed by pyarrow's CSV engine in blocks and checked column by column; None
    when it cannot be read so (a bad cell, an unusual spelling): the row reader then reads it and names
    the cell. Only the columns the report needs are kept, as arrays."""
    if tables.outputs is not Outputs.csv or tables.detail is Detail.none:
        return None
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    table = rundir.RESTORATIONS
    types = {Kind.minutes: pa.float64(), Kind.flag: pa.bool_(), Kind.instant: pa.timestamp("s", tz="UTC")}
    convert = pacsv.ConvertOptions(
        column_types={c.name: types[c.kind] for c in table.columns if c.kind in types},
        null_values=[""],
        strings_can_be_null=False,
        true_values=["1"],
        false_values=["0"],
    )
    built = _Builder()
    try:
        # a Python file, not a path: pyarrow then reads a block at a time instead of the whole file ahead
        with (
            tables.path(table).open("rb") as fh,
            pacsv.open_csv(
                fh,
                read_options=pacsv.ReadOptions(block_size=1 << 20, use_threads=False),
                convert_options=convert,
            ) as reader,
        ):
            names = set(reader.schema.names)
            if any(c.required and c.name not in names for c in table.columns):
                return None
            for batch in reader:
                if not _restoration_batch(batch, names, pc, built):
                    return None
    except (pa.ArrowInvalid, OSError):
        return None
    return built.build()


def _restoration_batch(batch, names: set[str], pc, built: _Builder) -> bool:
    """Add one block of restorations; False when a cell needs the row reader."""
    for c in rundir.RESTORATIONS.columns:
        if c.name in names and not c.optional and batch.column(c.name).null_count:
            return False  # an empty required cell
    if not set(pc.unique(batch.column("cause")).to_pylist()) <= set(CAUSES):
        return False

    def codes(name: str) -> np.ndarray:
        col = batch.column(name).dictionary_encode()
        return built.codes(col.dictionary.to_pylist())[col.indices.to_numpy()]

    def floats(name: str) -> np.ndarray:
        return batch.column(name).to_numpy(zero_copy_only=False).astype(float)

    n = batch.num_rows
    pairs = pc.unique(pc.binary_join_element_wise(batch.column("site"), batch.column("profile"), "\x00"))
    for pair in pairs.to_pylist():
        site, profile = pair.split("\x00", 1)
        built.site_profiles.setdefault(site, profile)
    within = batch.column("within_objective")
    built.add(
        {
            "profile": codes("profile"),
            "cause": codes("cause"),
            "kind": codes("kind"),
            "clock": codes("clock") if "clock" in names else np.zeros(n, dtype=np.int32),
            "restored": ~batch.column("restored_at").is_null().to_numpy(zero_copy_only=False),
            "business": floats("business_minutes"),
            "wallclock": floats("wallclock_minutes"),
            "objective": floats("objective_minutes"),
            "within": np.where(
                within.is_null().to_numpy(zero_copy_only=False),
                -1,
                within.fill_null(False).to_numpy(zero_copy_only=False),
            ).astype(np.int8),
        }
    )
    return True


def _restorations(rows: Iterator[dict[str, Any]]) -> Restorations:
    """Restorations from the row reader (which names a bad cell), in blocks of compact arrays."""
    built = _Builder()
    block: list[dict[str, Any]] = []

    def flush() -> None:
        if not block:
            return
        for r in block:
            built.site_profiles.setdefault(r["site"], r["profile"])
        built.add(
            {
                "profile": built.codes([r["profile"] for r in block]),
                "cause": built.codes([r["cause"] for r in block]),
                "kind": built.codes([r["kind"] for r in block]),
                "clock": built.codes([r.get("clock") or "" for r in block]),
                "restored": np.array([r["restored_at"] is not None for r in block], dtype=bool),
                "business": np.array([r["business_minutes"] for r in block], dtype=float),
                "wallclock": np.array([r["wallclock_minutes"] for r in block], dtype=float),
                "objective": np.array(
                    [np.nan if r["objective_minutes"] is None else r["objective_minutes"] for r in block],
                    dtype=float,
                ),
                "within": np.array(
                    [-1 if r["within_objective"] is None else int(r["within_objective"]) for r in block],
                    dtype=np.int8,
                ),
            }
        )
        block.clear()

    for r in rows:
        block.append(r)
        if len(block) >= 4096:
            flush()
    flush()
    return built.build()


def _site_profiles(run: Run) -> dict[str, str]:
    """Map each site to its contract profile, from whichever file names it."""
    mapping: dict[str, str] = {}
    for profile, rows in run.sla["statements"].items():
        for row in rows:
            mapping.setdefault(str(row.get("site")), profile)
    for rows in (run.billing, run.installs, run.incidents):
        for row in rows:
            if row.get("profile"):
                mapping.setdefault(row["site"], row["profile"])
    for site, profile in run.restorations.site_profiles.items():
        if profile:
            mapping.setdefault(site, profile)
    for outage in run.outages:
        mapping.setdefault(outage.site, outage.profile)
    return mapping
