"""Write a run directory (schema: `sim.rundir`) as the replications finish: all files or nothing.

Everything goes into a hidden temporary sibling of the run directory, renamed at the very end, after the
last partition, the summary and the report are in place. Results are streamed: a replication's tables are
written when it arrives (CSV chunks in replication order, Parquet partitions in any order) and dropped,
so memory does not grow with the number of replications.

With `--outputs parquet` the worker that ran a replication writes its partitions itself, through fsspec,
into the temporary directory (`write_partitions`): on a Dask cluster only the summary metrics travel
back. CSV files are written by the parent, as they need the replications in order.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from contracts.profile import Profile
from sim import jsontext, rundir
from sim.columnar import csv_bytes, parquet_bytes
from sim.replication import Result
from sim.rundir import Detail, Outputs

#: The CSV header line of each table under the default layout (`Table.header` gives the others).
HEADERS = {t.csv_name: t.header(t.every_replication) for t in rundir.TABLES}


def default_out_dir(scenario: str, now: datetime | None = None, root: str | Path = "runs") -> Path:
    """`runs/<scenario>-<timestamp>/` (a suffix when that already exists)."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    base = Path(root) / f"{scenario}-{stamp}"
    out, k = base, 1
    while out.exists():
        k += 1
        out = base.with_name(f"{base.name}-{k}")
    return out


def provenance(profiles: dict[str, Profile]) -> dict[str, dict[str, Any]]:
    """Per profile: name, sha256 of its file, the choices in force."""
    return {
        n: {"profile": p.name, "sha256": p.sha256, "choices": _plain(p.choices)} for n, p in profiles.items()
    }


def _plain(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in sorted(v.items())}
    if isinstance(v, bool | int | float | str) or v is None:
        return v
    return str(v)


def _json(data: Any) -> str:
    return jsontext.dumps(data) + "\n"  # json.dumps(data, indent=1, ensure_ascii=False), faster


def sla_text(profiles: dict[str, Profile], statements: dict[str, list[dict]]) -> str:
    """The text of sla.json (and of its --detail all siblings): the statements and their provenance."""
    return _json({"provenance": provenance(profiles), "statements": statements})


@dataclass(frozen=True)
class Sink:
    """Where a worker writes its Parquet partitions: the run's temporary directory as an fsspec URL."""

    url: str
    detail: Detail


def write_partitions(sink: Sink, r: Result, profiles: dict[str, Profile]) -> Result:
    """Write a replication's Parquet partitions (and statements) into `sink`; return the result without
    its columns, with the files written and their sizes."""
    import fsspec

    fs, root = fsspec.core.url_to_fs(sink.url)
    files: dict[str, bytes] = {
        rundir.partition(name, r.index): parquet_bytes(rundir.BY_NAME[name], cols)
        for name, cols in r.parts.items()
    }
    if r.statements is not None:
        name = rundir.SLA if r.index == 0 else rundir.sla_partition(r.index)
        files[name] = sla_text(profiles, r.statements).encode("utf-8")
    for rel, data in files.items():
        path = f"{root}/{rel}"
        fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
        with fs.open(path, "wb") as fh:
            fh.write(data)
    r.parts, r.statements = {}, None
    r.written = {rel: len(data) for rel, data in files.items()}
    return r


class RunWriter:
    """The run directory being written: `add` each result as it arrives, then `finish` (or `abort`)."""

    def __init__(self, out: str | Path, outputs: Outputs, detail: Detail, profiles: dict[str, Profile]):
        self.out = Path(out)
        self.outputs, self.detail, self.profiles = outputs, detail, profiles
        if self.out.exists():
            raise FileExistsError(f"{self.out}: already exists")
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = Path(tempfile.mkdtemp(dir=self.out.parent, prefix=f".{self.out.name}.", suffix=".tmp"))
        os.chmod(self.tmp, 0o755)
        self.sink = Sink(self.tmp.resolve().as_uri(), detail)
        self._next = 0  # CSV: the next replication to append
        self._waiting: dict[int, Result] = {}
        self._files: dict[str, IO[bytes]] = {}
        self.bytes_written = 0

    def __enter__(self) -> RunWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.abort()

    def add(self, r: Result) -> Result:
        """Write what `r` carries; return it stripped of its columns (the summary needs its metrics)."""
        if self.outputs is Outputs.parquet:
            if r.parts or r.statements is not None:
                write_partitions(self.sink, r, self.profiles)
            self.bytes_written += sum(r.written.values())
            return r
        self._waiting[r.index] = r
        while self._next in self._waiting:
            self._append(self._waiting.pop(self._next))
            self._next += 1
        return r

    def _append(self, r: Result) -> None:
        for name, cols in r.parts.items():
            t = rundir.BY_NAME[name]
            with_rep = t.csv_has_replication(self.detail)
            fh = self._files.get(name)
            if fh is None:
                fh = self._files[name] = (self.tmp / t.csv_name).open("wb")
                fh.write((t.header(with_rep) + "\n").encode("utf-8"))
            fh.write(csv_bytes(t, cols, r.index if with_rep else None))
        if r.statements is not None:
            name = rundir.SLA if r.index == 0 else rundir.sla_partition(r.index)
            (self.tmp / name).parent.mkdir(exist_ok=True)
            (self.tmp / name).write_text(sla_text(self.profiles, r.statements), encoding="utf-8")
        r.parts, r.statements = {}, None

    def finish(
        self,
        *,
        scenario_text: str,
        resolved: dict[str, Any],
        summary: dict[str, Any],
        finalize: Callable[[Path], None] | None = None,
    ) -> Path:
        """Write the remaining files, run `finalize(tmp_dir)` on the complete directory (the HTML report)
        and rename it to its final name."""
        if self._waiting:
            raise RuntimeError(f"replications missing before {min(self._waiting)}")  # pragma: no cover
        for name, fh in self._files.items():
            fh.close()
            self.bytes_written += (self.tmp / rundir.BY_NAME[name].csv_name).stat().st_size
        self._files.clear()
        if self.outputs is Outputs.csv and self.detail is not Detail.none:
            for t in rundir.TABLES:  # a table no replication contributed to still has its header
                path = self.tmp / t.csv_name
                if not path.exists():
                    path.write_text(t.header(t.csv_has_replication(self.detail)) + "\n", encoding="utf-8")
        (self.tmp / rundir.SCENARIO).write_text(scenario_text, encoding="utf-8")
        (self.tmp / rundir.RESOLVED).write_text(_json(resolved), encoding="utf-8")
        (self.tmp / rundir.SUMMARY).write_text(_json(summary), encoding="utf-8")
        if finalize is not None:
            finalize(self.tmp)
        os.rename(self.tmp, self.out)
        return self.out

    def abort(self) -> None:
        """Remove everything written so far."""
        for fh in self._files.values():
            fh.close()
        self._files.clear()
        shutil.rmtree(self.tmp, ignore_errors=True)
