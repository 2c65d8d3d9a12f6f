"""What the run directory shows of its inventory: porting.csv (the inventory's decisions) and
provisioning.json (numbers per range and zone, blocks, mandates by outcome and reason, exhaustion)."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

from centrex.provision.apply import Applied
from provisioning import db
from provisioning.mandates import list_mandates
from provisioning.numbers import list_blocks, list_ranges
from provisioning.plan import format_e164
from sim.lifecycle import Lifecycle
from sim.outputs import HEADERS

PROVISIONING_FILE = "provisioning.json"


def porting_outcome(state: str, reason: str | None) -> str:
    """The porting.csv outcome of a mandate state: a port that needed a second request is
    `resubmitted_ported`; an open mandate shows where it stands at the end of the period."""
    if state == "ported":
        return "resubmitted_ported" if reason else "ported"
    return state


def porting_csv(applied: Applied, lc: Lifecycle, mandates: dict[int, tuple[str, Any]]) -> str:
    """porting.csv with the inventory's mandate ids, states (`mandates`: id → (state, port date)) and
    the OBL's rejection reasons, in fleet order. It replaces the simulation's own porting.csv."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    buf.write(HEADERS["porting.csv"] + "\n")
    for p in lc.ports:
        rec = applied.ports.get(p.site)
        if rec is None or p.site in applied.exhausted:
            continue
        state, port_date = mandates[rec.mandate]
        ported = port_date.isoformat() if state == "ported" and port_date else ""
        w.writerow(
            (
                p.site,
                rec.mandate,
                rec.submitted_at.isoformat(),
                porting_outcome(state, rec.reason),
                rec.reason or "",
                ported,
            )
        )
    return buf.getvalue()


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
    }


def write_outputs(tmp: Path, url: str, applied: Applied, lc: Lifecycle) -> dict[str, Any]:
    """Write porting.csv and provisioning.json into the run's temp directory; return the figures."""
    with db.session_scope(url) as ses:
        mandates = {m.id: (m.state, m.port_date) for m in list_mandates(ses)}
    (tmp / "porting.csv").write_text(porting_csv(applied, lc, mandates), encoding="utf-8")
    figures = inventory_summary(url, applied)
    (tmp / PROVISIONING_FILE).write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    return figures
