"""What the run directory shows of its inventory: porting.csv (the inventory's decisions) and
provisioning.json (numbers per range and zone, blocks, mandates by outcome and reason, exhaustion)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import select

from centrex.provision.apply import Applied
from provisioning import db
from provisioning.mandates import list_mandates
from provisioning.models import Site
from provisioning.numbers import list_blocks, list_ranges
from provisioning.plan import format_e164
from sim import rundir
from sim.columnar import csv_bytes, parquet_bytes
from sim.lifecycle import FleetLifecycle
from sim.rundir import Detail, Outputs

PROVISIONING_FILE = "provisioning.json"


def porting_outcome(state: str, reason: str | None) -> str:
    """The porting.csv outcome of a mandate state: a port that needed a second request is
    `resubmitted_ported`; an open mandate shows where it stands at the end of the period."""
    if state == "ported":
        return "resubmitted_ported" if reason else "ported"
    return state


def porting_columns(applied: Applied, lc: FleetLifecycle, mandates: dict[int, tuple[str, Any]]) -> dict:
    """Replication 0's porting table with the inventory's mandate ids, states (`mandates`: id → (state,
    port date)) and the OBL's rejection reasons, in fleet order."""
    cols: dict[str, list] = {c.name: [] for c in rundir.PORTING.written}
    for p in lc.ports:
        rec = applied.ports.get(p.site)
        if rec is None or p.site in applied.exhausted:
            continue
        state, port_date = mandates[rec.mandate]
        cols["site"].append(p.site)
        cols["mandate"].append(str(rec.mandate))
        cols["submitted_at"].append(rec.submitted_at)
        cols["outcome"].append(porting_outcome(state, rec.reason))
        cols["reason"].append(rec.reason or "")
        cols["ported_at"].append(port_date if state == "ported" else None)
    return cols


def write_porting(tmp: Path, cols: dict, outputs: Outputs, detail: Detail) -> None:
    """Replace the simulation's porting table of replication 0 by the inventory's (CSV or Parquet)."""
    if detail is not Detail.default:
        return  # --detail all/none: the simulation's own table stays (provisioning.json has the figures)
    t = rundir.PORTING
    if outputs is Outputs.parquet:
        (tmp / rundir.partition(t.name, 0)).write_bytes(parquet_bytes(t, cols))
        return
    with_rep = t.csv_has_replication(detail)
    body = csv_bytes(t, cols, 0 if with_rep else None)
    (tmp / t.csv_name).write_bytes((t.header(with_rep) + "\n").encode("utf-8") + body)


def inventory_summary(url: str, applied: Applied) -> dict[str, Any]:
    """The Provisioning section's figures, read back from the inventory."""
    with db.session_scope(url) as ses:
        ranges = [
            {
                "start": format_e164(u.range.start),
                "size": u.range.size,
                "zone": u.range.zone,
                "kind": str(getattr(u.range, "kind", "operator")),
                "allocated": u.allocated,
                "quarantined": u.quarantined,
                "free": u.free,
            }
            for u in list_ranges(ses)
        ]
        blocks = list_blocks(ses)
        by_size = Counter((b.size, "ported" if b.ported else b.purpose) for b in blocks)
        mandates = list_mandates(ses)
        by_state = Counter(m.state for m in mandates)
        sites = Counter(ses.scalars(select(Site.state)))
    zones: dict[str, dict[str, int]] = {}
    for r in ranges:
        z = zones.setdefault(r["zone"], {"size": 0, "allocated": 0, "quarantined": 0, "free": 0})
        for k in z:
            z[k] += r[k]
    states = {m.id: m.state for m in mandates}
    reasons = Counter(
        (porting_outcome(states[p.mandate], p.reason), p.reason) for p in applied.ports.values() if p.reason
    )
    return {
        "ranges": ranges,
        "zones": dict(sorted(zones.items())),
        "blocks": [{"size": s, "kind": k, "blocks": n} for (s, k), n in sorted(by_size.items())],
        "mandates": dict(sorted(by_state.items())),
        "rejections": [{"outcome": o, "reason": r, "mandates": n} for (o, r), n in sorted(reasons.items())],
        "ports_completed": by_state.get("ported", 0),
        "exhausted": [{"site": s, "reason": r} for s, r in sorted(applied.exhausted.items())],
        # the sites' states at the end, and what the moves did to their numbers (000 §2.3, §3.5)
        "sites": dict(sorted(sites.items())),
        "moves": {
            "kept_numbers": sum(not new for new in applied.moved.values()),
            "new_numbers": sum(applied.moved.values()),
            "refused": [{"site": s, "reason": r} for s, r in sorted(applied.move_exhausted.items())],
        },
    }


def write_outputs(
    tmp: Path, url: str, applied: Applied, lc: FleetLifecycle, outputs: Outputs, detail: Detail
) -> dict[str, Any]:
    """Write the porting table and provisioning.json into the run's temp directory; return the figures."""
    with db.session_scope(url) as ses:
        mandates = {m.id: (m.state, m.port_date) for m in list_mandates(ses)}
    write_porting(tmp, porting_columns(applied, lc, mandates), outputs, detail)
    figures = inventory_summary(url, applied)
    (tmp / PROVISIONING_FILE).write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    return figures
