"""Fleet sections: availability per profile against its objective, and the worst sites."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

import numpy as np

from centrex import plots
from centrex.report.common import Section, Table, eur, hours, objective_pct, pct
from centrex.report.rundir import Run
from contracts.profile import Profile


# ----- fleet availability ------------------------------------------------------------------------------
def availability(run: Run, profiles: dict[str, Profile]) -> Section:
    """Fleet availability per profile (ground truth, over replications) and the contractual monthly
    availability of replication 0's statements, both against the profile's objective."""
    names = run.profiles
    agg = run.summary["aggregate"]["availability"]
    samples = [
        [
            float(r["availability"][p])
            for r in run.summary["per_replication"]
            if r["availability"].get(p) is not None
        ]
        for p in names
    ]
    means = [
        float(agg.get(p, {}).get("mean", np.mean(s) if s else 0.0))
        for p, s in zip(names, samples, strict=True)
    ]
    intervals = [tuple(agg[p]["ci95"]) if agg.get(p, {}).get("ci95") else None for p in names]
    drawn = [(max(iv[0], 0.0), min(iv[1], 100.0)) if iv else None for iv in intervals]  # a rate is ≤ 100 %
    targets = [objective_pct(profiles[p]) for p in names]
    rows, met_share = [], {}
    for p, m, iv, t in zip(names, means, intervals, targets, strict=True):
        stmts = run.sla["statements"].get(p, [])
        rated = [float(r["availability"]) for r in stmts if r.get("availability") is not None]
        contractual = pct(float(np.mean(rated))) if rated else "—"
        below = "—"
        if t is not None and rated:
            below = f"{sum(a < t for a in rated)} / {len(rated)}"
            met_share[p] = 100 * sum(a >= t for a in rated) / len(rated)
        ci = f"{pct(iv[0])} – {pct(iv[1])}" if iv else "—"
        objective = pct(t, 2) if t is not None else "none"
        rows.append([p, str(run.summary["sites"][p]), pct(m), ci, contractual, objective, below])
    plot_list = [
        plots.interval_chart(
            "plot-availability",
            names,
            means,
            drawn,
            targets=targets,
            samples=samples,
            title="Observed availability per profile (every total outage, wall clock): mean, 95 % CI",
            y_label="availability (%)",
            fmt=lambda v: f"{v:.2f}",
            y_max=100.0,
        ),
        plots.bar_chart(
            "plot-availability-months",
            list(met_share),
            {"site-months meeting the objective (%)": list(met_share.values())},
            title="Site-months meeting the contract's availability objective (replication 0 statements)",
            y_label="site-months (%)",
            fmt=lambda v: f"{v:.1f} %",
            height=220,
        )
        if met_share
        else plots.empty_chart("plot-availability-months", "Site-months", "no profile has an objective"),
    ]
    return Section(
        "availability",
        "Fleet availability per profile",
        "Top: the availability the simulation observed for each profile's sites — every total outage, on "
        "the wall clock — as the mean over the replications (dot), its 95 % confidence interval (whisker) "
        "and each replication (small dots), with the contract's objective (dashed) for reference. Below: "
        "the contract's own measure, monthly per site with its clock and the failures it counts "
        "(replication 0's statements), as the share of site-months that meet the objective.",
        plot_list,
        [
            Table(
                "table-availability",
                "Availability against objective",
                [
                    "profile",
                    "sites",
                    "observed mean",
                    "95 % CI",
                    "contractual mean (rep. 0)",
                    "objective",
                    "site-months < objective (rep. 0)",
                ],
                rows,
                {1, 2, 3, 4, 6},
            )
        ],
    )


# ----- worst sites -------------------------------------------------------------------------------------
def merged_minutes(spans: Iterable[tuple[datetime, datetime]]) -> float:
    """Minutes covered by the union of spans (overlapping outages of one site count once)."""
    total, cur_a, cur_b = 0.0, None, None
    for a, b in sorted(spans):
        if cur_b is None or a > cur_b:
            if cur_b is not None:
                total += (cur_b - cur_a).total_seconds()
            cur_a, cur_b = a, b
        elif b > cur_b:
            cur_b = b
    if cur_b is not None:
        total += (cur_b - cur_a).total_seconds()
    return total / 60


def worst_sites(run: Run, limit: int = 10) -> Section:
    """Sites ranked by mean total-outage time per replication (ground truth), with their rep-0 statements."""
    replications = max(int(run.summary["replications"]), 1)
    horizon = max((o.up_at or o.down_at for o in run.outages), default=None)
    spans: dict[tuple[str, int], list[tuple[datetime, datetime]]] = defaultdict(list)
    for o in run.outages:
        spans[(o.site, o.replication)].append((o.down_at, o.up_at or horizon))
    outage: dict[str, float] = defaultdict(float)
    for (site, _rep), s in spans.items():
        outage[site] += merged_minutes(s) / replications
    stmt: dict[str, dict[str, float]] = defaultdict(lambda: {"downtime": 0.0, "credit": 0.0, "worst": 100.0})
    for rows in run.sla["statements"].values():
        for r in rows:
            d = stmt[str(r["site"])]
            d["downtime"] += float(r.get("downtime_minutes") or 0)
            d["credit"] += float(r.get("credit_eur") or 0)
            if r.get("availability") is not None:
                d["worst"] = min(d["worst"], float(r["availability"]))
    sites = set(outage) | set(stmt)
    ranked = sorted(sites, key=lambda s: (-outage.get(s, 0.0), -stmt[s]["credit"] if s in stmt else 0.0, s))
    top = [s for s in ranked if outage.get(s, 0.0) > 0 or (s in stmt and stmt[s]["credit"] > 0)][:limit]
    rows = []
    for s in top:
        st = stmt.get(s)
        rows.append(
            [
                s,
                run.site_profile.get(s, "?"),
                hours(outage.get(s, 0.0)),
                f"{st['downtime']:,.0f}" if st else "—",
                pct(st["worst"]) if st else "—",
                eur(st["credit"]) if st else "—",
            ]
        )
    plot = plots.hbar_chart(
        "plot-worst-sites",
        [f"{s} ({run.site_profile.get(s, '?')})" for s in top],
        [outage.get(s, 0.0) / 60 for s in top],
        title="Worst sites: mean total-outage hours per replication",
        x_label="hours of total outage",
        fmt=lambda v: f"{v:,.1f}",
    )
    return Section(
        "worst-sites",
        "Worst sites",
        f"The {limit} sites with the most total-outage time (the simulation's ground truth, mean per "
        "replication over the whole horizon), with what replication 0's statements counted for them: "
        "contractual downtime minutes, worst monthly availability and credits.",
        [plot],
        [
            Table(
                "table-worst-sites",
                "Worst sites",
                [
                    "site",
                    "profile",
                    "outage / replication",
                    "counted downtime (min, rep. 0)",
                    "worst month (rep. 0)",
                    "credits (rep. 0)",
                ],
                rows,
                {2, 3, 4, 5},
            )
        ],
    )
