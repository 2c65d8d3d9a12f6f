"""Write a run directory (format: run-outputs.md) atomically: all files or nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from contracts.atomic import directory
from contracts.profile import Profile
from sim.replication import Result

HEADERS = {
    "events.csv": "replication,component,kind,site,profile,down_at,up_at,cause,total_outage",
    "incidents.csv": "ticket,site,notified_at,restored_at,cause,profile,departement",
    "billing.csv": "site,month,recurring_fees,usage_charges,departement,profile",
    "installs.csv": "site,handsets,indicative_date,service_start,customer_caused,appointments,profile,"
    "outcome,reservations,signed_at",
    "porting.csv": "site,mandate,submitted_at,outcome,reason,ported_at",
    "restorations.csv": "replication,ticket,site,profile,cause,kind,notified_at,restored_at,business_minutes,"
    "wallclock_minutes,objective_minutes,within_objective",
}


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
    return json.dumps(data, indent=1, ensure_ascii=False, sort_keys=False) + "\n"


def write_run(
    out: str | Path,
    *,
    scenario_text: str,
    resolved: dict[str, Any],
    results: list[Result],
    profiles: dict[str, Profile],
    summary: dict[str, Any],
    finalize: Callable[[Path], None] | None = None,
) -> Path:
    """Write every file of the run into `out` (a temp sibling renamed at the end).

    `finalize(tmp_dir)` runs on the complete files before the rename, so that derived files (the HTML
    report) are part of the same all-or-nothing directory.
    """
    first = results[0]
    bodies = {
        "events.csv": "".join(r.events_csv for r in results),
        "incidents.csv": first.incidents_csv,
        "billing.csv": first.billing_csv,
        "installs.csv": first.installs_csv,
        "porting.csv": first.porting_csv,
        "restorations.csv": "".join(r.restorations_csv for r in results),
    }
    with directory(out) as tmp:
        (tmp / "scenario.yaml").write_text(scenario_text, encoding="utf-8")
        (tmp / "scenario.resolved.json").write_text(_json(resolved), encoding="utf-8")
        for name, body in bodies.items():
            (tmp / name).write_text(HEADERS[name] + "\n" + body, encoding="utf-8")
        sla = {"provenance": provenance(profiles), "statements": first.statements}
        (tmp / "sla.json").write_text(_json(sla), encoding="utf-8")
        (tmp / "summary.json").write_text(_json(summary), encoding="utf-8")
        if finalize is not None:
            finalize(tmp)
    return Path(out)
