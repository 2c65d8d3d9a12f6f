"""`centrex validate`: simulated long-run availability per topology against the analytic value.

The analytic value comes from the topology graph's minimal cut sets with independent components, each
available MTTF / (MTTF + MTTR) in the long run (any distributions, alternating renewal). It is exact for
the model when repairs run round the clock and crews never queue; in the business window the nominal
MTTR is too short, so the table also gives the analytic value with the MTTR observed in the simulation.
Common-cause events (storms) and planned maintenance are switched off: they are not independent
component failures. Installs are off too, so every site is in service for the whole period.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sim.choices import Kind, RepairWindow
from sim.model import DEFAULT_ON_SITE, mean_minutes
from sim.replication import Result
from sim.run import prepare
from sim.runner import run_replications
from sim.scenario import FailureLaw, Scenario
from sim.summary import mean_ci
from sim.topology import analytic_availability, topology_name

MINUTES_PER_YEAR = 525_960.0


def validation_scenario(s: Scenario) -> Scenario:
    """The scenario with storms, maintenance and installs switched off."""
    groups = [g.model_copy(update={"install": False}) for g in s.site_groups]
    return s.model_copy(update={"storms": [], "maintenance": None, "site_groups": groups})


def nominal_mttr(s: Scenario, kind: Kind) -> float:
    """Mean down time of a component of `kind` if crews never queue and work round the clock (minutes)."""
    r = s.repair
    visit = r.spare_part_hours.get(kind, 0.0) * 60 + r.travel.mean_minutes
    visit += r.on_site.get(kind, DEFAULT_ON_SITE).mean_minutes
    remote = r.remote_share.get(kind, 0.0)
    return s.notification.mean_minutes + r.diagnosis.mean_minutes + (1 - remote) * visit


def _q(mttf: float, mttr: float) -> float:
    return mttr / (mttf + mttr)


def analytic_by_group(s: Scenario, mttr: dict[str, float]) -> list[tuple[str, int, float]]:
    """(topology, sites, analytic availability %) per site group, given the MTTR of each kind."""
    laws: dict[Kind, FailureLaw | None] = {
        Kind.access_link: s.failures.access_link,
        Kind.backup_link: s.failures.backup_link,
        Kind.router: s.failures.router,
        Kind.handset: s.failures.handset,
    }
    out = []
    for g in s.site_groups:
        q = {k.value: _q(mean_minutes(law), mttr[k.value]) for k, law in laws.items() if law is not None}
        un = {
            "access_link": q["access_link"],
            "backup_link": q.get("backup_link", 0.0),
            "router": q["router"],
            "handsets": q["handset"] ** g.handsets,
            "platform": 0.0,
        }
        po = s.platform_outage
        if po is not None:
            un["platform"] = _q(MINUTES_PER_YEAR / po.rate_per_year, mttr["platform"])
        out.append((topology_name(g.backup_link), g.count, 100.0 * analytic_availability(g.backup_link, un)))
    return out


def validate_scenario(
    path: str | Path,
    *,
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    level: float = 0.99,
    on_result: Callable[[Result], None] | None = None,
) -> list[dict[str, Any]]:
    """Return one row per topology: simulated availability with its CI beside the analytic values."""
    scenario, _text = prepare(path, replications, seed)
    s = validation_scenario(scenario)
    results = run_replications(
        s, s.replications, s.seed, workers=workers, scheduler=scheduler, on_result=on_result, full=False
    )
    return compare(s, results, level)


def compare(s: Scenario, results: list[Result], level: float = 0.99) -> list[dict[str, Any]]:
    """Rows of the validation table from finished replications."""
    nominal = {
        k.value: nominal_mttr(s, k) for k in (Kind.access_link, Kind.backup_link, Kind.router, Kind.handset)
    }
    if s.platform_outage is not None:
        nominal["platform"] = s.platform_outage.duration.mean_minutes
    pooled: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    for r in results:
        for k, (n, tot) in r.metrics["down_minutes_by_kind"].items():
            pooled[k][0] += n
            pooled[k][1] += tot
    observed = {
        k: (pooled[k][1] / pooled[k][0] if pooled.get(k) and pooled[k][0] else v) for k, v in nominal.items()
    }
    exact = s.repair.window is RepairWindow.always
    rows = []
    for topo in sorted({topology_name(g.backup_link) for g in s.site_groups}):
        sims = [r.metrics["availability_by_topology"][topo] for r in results]
        m, lo, hi = mean_ci(sims, level)
        groups_n = [(n, a) for t, n, a in analytic_by_group(s, nominal) if t == topo]
        groups_o = [(n, a) for t, n, a in analytic_by_group(s, observed) if t == topo]
        sites = sum(n for n, _ in groups_n)
        an = sum(n * a for n, a in groups_n) / sites
        ao = sum(n * a for n, a in groups_o) / sites
        rows.append(
            {
                "topology": topo,
                "sites": sites,
                "reps": len(results),
                "simulated_pct": round(m, 5),
                f"ci{round(level * 100)}_lo": round(lo, 5),
                f"ci{round(level * 100)}_hi": round(hi, 5),
                "analytic_pct": round(an, 5),
                "in_ci": bool(lo <= an <= hi),
                "exact": exact,  # the nominal MTTR is exact with round-the-clock repair and no queueing
                "analytic_obs_mttr_pct": round(ao, 5),
            }
        )
    return rows
