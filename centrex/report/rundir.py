"""Load a run directory (the files `centrex run` writes) and check it is complete and well formed.

The format is the run-directory contract between the simulation (writer) and the report (reader). Every
problem is an `InputError` naming the file, line and field, so `centrex report` fails with one clear line.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from centrex.report.shapes import Sla, Summary, checked
from contracts.choices import CAUSES
from contracts.errors import InputError

PARIS = ZoneInfo("Europe/Paris")

#: Every file of a run directory, in the order the report reads them.
REQUIRED_FILES = (
    "summary.json",
    "sla.json",
    "scenario.yaml",
    "scenario.resolved.json",
    "events.csv",
    "incidents.csv",
    "billing.csv",
    "installs.csv",
    "porting.csv",
    "restorations.csv",
)

Parser = Callable[[str], Any]


def _datetime(text: str) -> datetime:
    """ISO 8601; a time without offset is Paris local time (DESIGN.md, data formats)."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=PARIS)


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


EVENT_COLUMNS: dict[str, Parser] = {
    "replication": int,
    "component": str,
    "kind": str,
    "site": str,
    "profile": str,
    "down_at": _datetime,
    "up_at": _optional(_datetime),
    "cause": str,
    "total_outage": _flag,
}
INCIDENT_COLUMNS: dict[str, Parser] = {
    "ticket": str,
    "site": str,
    "notified_at": _datetime,
    "restored_at": _optional(_datetime),
    "cause": _cause,
}
INCIDENT_EXTRA: dict[str, Parser] = {"replication": int, "profile": str}
BILLING_COLUMNS: dict[str, Parser] = {
    "site": str,
    "month": str,
    "recurring_fees": float,
    "usage_charges": float,
    "departement": str,
}
BILLING_EXTRA: dict[str, Parser] = {"profile": str}
INSTALL_COLUMNS: dict[str, Parser] = {
    "site": str,
    "handsets": int,
    "indicative_date": _date,
    "service_start": _optional(_date),
    "customer_caused": _flag,
}
INSTALL_EXTRA: dict[str, Parser] = {"appointments": _optional(int), "profile": str}
PORTING_COLUMNS: dict[str, Parser] = {
    "site": str,
    "mandate": str,
    "submitted_at": _datetime,
    "outcome": str,
    "reason": str,
    "ported_at": _optional(_datetime),
}
RESTORATION_COLUMNS: dict[str, Parser] = {
    "replication": int,
    "ticket": str,
    "site": str,
    "profile": str,
    "cause": _cause,
    "kind": str,
    "notified_at": _datetime,
    "restored_at": _optional(_datetime),
    "business_minutes": float,
    "wallclock_minutes": float,
    "objective_minutes": _optional(float),
    "within_objective": _optional(_flag),
}
RESTORATION_EXTRA: dict[str, Parser] = {"clock": str}


@dataclass
class Outage:
    """A span during which a site was totally unavailable (ground truth, one replication)."""

    replication: int
    site: str
    profile: str
    down_at: datetime
    up_at: datetime | None


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
    restorations: list[dict[str, Any]]
    site_profile: dict[str, str] = field(default_factory=dict)

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
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        try:
            return _parse_rows(path, reader, columns, extra or {}, keep)
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
) -> list[dict[str, Any]]:
    header = reader.fieldnames or []
    missing = [c for c in columns if c not in header]
    if missing:
        raise InputError(f"missing column(s) {', '.join(missing)}", file=str(path), line=1, field=missing[0])
    parsers = dict(columns) | {k: v for k, v in extra.items() if k in header}
    rows = []
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
        rows.append(row)
    return rows


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


def load_run(run_dir: Path) -> Run:
    """Read and check every file of `run_dir`; raise InputError naming what is missing or wrong."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise InputError("not a run directory (does not exist or is not a directory)", file=str(run_dir))
    missing = [name for name in REQUIRED_FILES if not (run_dir / name).is_file()]
    if missing:
        raise InputError(f"incomplete run directory, missing: {', '.join(missing)}", file=str(run_dir))
    summary = checked(Summary, _json(run_dir / "summary.json"), run_dir / "summary.json")
    sla = checked(Sla, _json(run_dir / "sla.json"), run_dir / "sla.json")
    events_path = run_dir / "events.csv"
    kinds: Counter[str] = Counter()

    def count_and_keep(raw: dict[str, str]) -> bool:
        kinds[raw.get("kind") or ""] += 1
        return (raw.get("total_outage") or "").strip().lower() in ("1", "true", "yes")

    events = read_rows(events_path, EVENT_COLUMNS, keep=count_and_keep)
    outages = [Outage(e["replication"], e["site"], e["profile"], e["down_at"], e["up_at"]) for e in events]
    billing = read_rows(run_dir / "billing.csv", BILLING_COLUMNS, BILLING_EXTRA)
    run = Run(
        path=run_dir,
        summary=summary,
        sla=sla,
        scenario_yaml=_text(run_dir / "scenario.yaml"),
        resolved=_json(run_dir / "scenario.resolved.json"),
        outages=outages,
        event_kinds=kinds,
        incidents=read_rows(run_dir / "incidents.csv", INCIDENT_COLUMNS, INCIDENT_EXTRA),
        billing=billing,
        installs=read_rows(run_dir / "installs.csv", INSTALL_COLUMNS, INSTALL_EXTRA),
        porting=read_rows(run_dir / "porting.csv", PORTING_COLUMNS),
        restorations=read_rows(run_dir / "restorations.csv", RESTORATION_COLUMNS, RESTORATION_EXTRA),
    )
    run.site_profile = _site_profiles(run)
    return run


def _site_profiles(run: Run) -> dict[str, str]:
    """Map each site to its contract profile, from whichever file names it."""
    mapping: dict[str, str] = {}
    for profile, rows in run.sla["statements"].items():
        for row in rows:
            mapping.setdefault(str(row.get("site")), profile)
    for rows in (run.billing, run.installs, run.incidents, run.restorations):
        for row in rows:
            if row.get("profile"):
                mapping.setdefault(row["site"], row["profile"])
    for outage in run.outages:
        mapping.setdefault(outage.site, outage.profile)
    return mapping
