"""The report's sections, computed from a loaded run: tables of figures and the SVG plots that show them.

No contract rule is restated here: objectives, the causes that count, the install-delay threshold and the
business calendars come from the contract profiles (`contracts.profile`), with the choices recorded in the
run's `sla.json`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from centrex import plots
from centrex.report.rundir import PARIS, Run
from contracts.errors import InputError
from contracts.profile import Profile, load_profile

UNATTRIBUTED = "unattributed"
INSTALL_DELAY = "install delay"
SMALL = 540  # width of a small-multiple chart (two side by side)


@dataclass
class Table:
    """A table of the report: a caption, column headers, rows of display strings."""

    id: str
    caption: str
    columns: list[str]
    rows: list[list[str]]
    numeric: set[int] = field(default_factory=set)


@dataclass
class Section:
    """One section of the report: what it shows (intro), its plots (SVG) and tables."""

    id: str
    title: str
    intro: str
    plots: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    pre: str | None = None
    grid: list[str] = field(default_factory=list)  # small multiples, drawn side by side


def eur(x: float) -> str:
    """Euros with thousands separators and cents."""
    return f"{x:,.2f} €"


def pct(x: float, digits: int = 3) -> str:
    """A percentage, trailing zeros kept so columns line up."""
    return f"{x:.{digits}f} %"


def hours(minutes: float) -> str:
    """Minutes shown as hours with one decimal."""
    return f"{minutes / 60:,.1f} h"


def percentiles(values: Sequence[float]) -> tuple[float, float]:
    """P50 and P95 (linear interpolation between order statistics, numpy's default)."""
    p50, p95 = np.percentile(np.asarray(values, dtype=float), [50, 95])
    return float(p50), float(p95)


def profiles_in_force(run: Run) -> dict[str, Profile]:
    """Load each profile of the run with the choices recorded in `sla.json` (or its defaults)."""
    loaded = {}
    for name in run.profiles:
        prov = run.sla["provenance"].get(name) or {}
        choices = prov.get("choices") or run.summary.get("choices", {}).get(name) or {}
        try:
            loaded[name] = load_profile(prov.get("profile", name), dict(choices))
        except InputError as exc:
            raise InputError(
                f"profile {name!r} of the run cannot be loaded: {exc}",
                file=str(run.path / "sla.json"),
                field=f"provenance.{name}",
            ) from None
    return loaded


def objective_pct(profile: Profile) -> float | None:
    """The availability objective of a profile in percent, or None (no availability objective)."""
    if profile.sla.get("kind") != "availability":
        return None
    value = profile.resolve(profile.sla.get("objective_pct"))
    return None if value is None else float(value)


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


# ----- monthly credits by profile and cause -----------------------------------------------------------
def _month_span(month: str) -> tuple[datetime, datetime]:
    year, mon = (int(x) for x in month.split("-"))
    start = datetime(year, mon, 1, tzinfo=PARIS)
    end = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=PARIS)
    return start, end


def credits_by_cause(run: Run, profiles: dict[str, Profile]) -> dict[str, dict[str, dict[str, float]]]:
    """Split each statement's credit (replication 0) across causes: {profile: {month: {cause: eur}}}.

    Per-incident statements (`incidents` list) give each ticket's credit exactly; otherwise the credit of a
    site-month is shared among the incidents of that site and month whose cause counts under the profile,
    in proportion to their minutes inside the month.
    """
    incidents = [i for i in run.incidents if i.get("replication", 0) == 0]
    by_ticket = {i["ticket"]: i for i in incidents}
    by_site: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for i in incidents:
        by_site[i["site"]].append(i)
    horizon = max((i["restored_at"] or i["notified_at"] for i in incidents), default=None)
    out: dict[str, dict[str, dict[str, float]]] = {}
    for name in run.profiles:
        months: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        profile = profiles[name]
        for row in run.sla["statements"].get(name, []):
            month, credit = str(row["month"]), float(row.get("credit_eur") or 0)
            months[month]  # every month of the statements appears, credited or not
            install = float(row.get("install_credit_eur") or 0)  # part of credit_eur, shares the cap
            if install > 0:
                months[month][INSTALL_DELAY] += install
                credit -= install
            if credit <= 0:
                continue
            weights: dict[str, float] = defaultdict(float)
            for inc in row.get("incidents") or []:
                cause = by_ticket.get(str(inc.get("ticket")), {}).get("cause", UNATTRIBUTED)
                weights[cause] += float(inc.get("credit_eur") or 0)
            if not weights:
                start, end = _month_span(month)
                for inc in by_site.get(str(row["site"]), []):
                    if not profile.counts(inc["cause"]):
                        continue
                    a, b = max(inc["notified_at"], start), min(inc["restored_at"] or horizon, end)
                    if b > a:
                        weights[inc["cause"]] += (b - a).total_seconds()
            total = sum(weights.values())
            if total <= 0:
                months[month][UNATTRIBUTED] += credit
                continue
            for cause, w in weights.items():
                months[month][cause] += credit * w / total
        out[name] = {m: dict(months[m]) for m in sorted(months)}
    return out


def credits(run: Run, profiles: dict[str, Profile]) -> Section:
    """Monthly credits of replication 0 per profile, stacked by cause; a month × profile table."""
    split = credits_by_cause(run, profiles)
    months = sorted({m for per in split.values() for m in per})
    every_cause = sorted({c for per in split.values() for m in per.values() for c in m})
    colours = {c: plots.PALETTE[i % len(plots.PALETTE)] for i, c in enumerate(every_cause)}
    plot_list, rows = [], []
    for name in run.profiles:
        per = split[name]
        causes = sorted({c for m in per.values() for c in m})
        if not causes:
            plot_list.append(
                plots.empty_chart(
                    f"plot-credits-{name}",
                    f"Monthly credits, {name}",
                    f"{name}: no credit in any month (replication 0)",
                    width=SMALL,
                )
            )
            continue
        series = {c: [per.get(m, {}).get(c, 0.0) for m in months] for c in causes}
        plot_list.append(
            plots.bar_chart(
                f"plot-credits-{name}",
                months,
                series,
                stacked=True,
                colours=colours,
                legend=True,
                title=f"Monthly credits, {name}, by cause",
                y_label=f"{name}: credits (€)",
                fmt=lambda v: f"{v:,.0f}" if v >= 10 or v == 0 else f"{v:,.2f}",
                height=260,
                width=SMALL,
            )
        )
    lost: dict[tuple[str, str], float] = defaultdict(float)
    for name in run.profiles:
        for r in run.sla["statements"].get(name, []):
            lost[(name, str(r["month"]))] += float(r.get("lost_to_cap_eur") or 0)
    for m in months:
        cells = [m]
        for name in run.profiles:
            owed = sum(split[name].get(m, {}).values())
            cap = lost.get((name, m), 0.0)
            cells.append(eur(owed) + (f" (cap −{eur(cap)})" if cap > 0 else ""))
        rows.append(cells)
    totals = ["total"] + [eur(sum(sum(v.values()) for v in split[n].values())) for n in run.profiles]
    rows.append(totals)
    return Section(
        "credits",
        "Monthly credits by profile and cause",
        "Credits of replication 0's statements (after the 30-day cap), month by month. A site-month's credit "
        "is split across the causes of its incidents that count under the profile, in proportion to their "
        "minutes in the month (per-incident contracts: each ticket's own credit). Amounts lost to the cap "
        "are shown in brackets.",
        [],
        [
            Table(
                "table-credits",
                "Credits per month (replication 0)",
                ["month", *run.profiles],
                rows,
                set(range(1, len(run.profiles) + 1)),
            )
        ],
        grid=plot_list,
    )


# ----- credit liability over replications ---------------------------------------------------------------
def liability(run: Run) -> Section:
    """Distribution of owed credits per replication (per profile and fleet total), P50/P95 marked."""
    reps = run.summary["per_replication"]
    agg = run.summary["aggregate"]
    plot_list, rows = [], []
    totals = [sum(float(v) for v in r["credits_owed_eur"].values()) for r in reps]
    p50, p95 = percentiles(totals)
    plot_list.append(
        plots.histogram(
            "plot-liability-total",
            totals,
            markers=[(p50, "P50"), (p95, "P95")],
            title="Credit liability per replication, whole fleet",
            x_label="credits owed per replication (€)",
            fmt=lambda v: f"{v:,.0f}",
        )
    )
    for name in run.profiles:
        values = [float(r["credits_owed_eur"].get(name, 0)) for r in reps]
        a = agg["credits_owed_eur"].get(name) or {}
        q50, q95 = (float(a["p50"]), float(a["p95"])) if "p50" in a and "p95" in a else percentiles(values)
        claimed = (agg.get("credits_claimed_eur") or {}).get(name) or {}
        rows.append(
            [
                name,
                eur(float(a.get("mean", np.mean(values)))),
                eur(q50),
                eur(q95),
                eur(float(claimed["mean"])) if "mean" in claimed else "—",
                eur(max(values)),
            ]
        )
        if any(values):
            plot_list.append(
                plots.histogram(
                    f"plot-liability-{name}",
                    values,
                    markers=[(q50, "P50"), (q95, "P95")],
                    title=f"Credit liability per replication, {name}",
                    x_label=f"{name}: credits owed (€)",
                    fmt=lambda v: f"{v:,.0f}",
                    height=220,
                    width=SMALL,
                )
            )
    rows.append(["fleet total", eur(float(np.mean(totals))), eur(p50), eur(p95), "", eur(max(totals))])
    inst = agg.get("install_credits_eur")
    if isinstance(inst, dict) and "mean" in inst:
        rows.append(
            [
                "install-delay credits",
                eur(float(inst["mean"])),
                eur(float(inst.get("p50", 0))),
                eur(float(inst.get("p95", 0))),
                "",
                "—",
            ]
        )
    return Section(
        "liability",
        "Credit liability over replications",
        f"Credits owed over the scenario's horizon in each of the {len(reps)} replications. Dashed lines "
        "mark the median (P50) and the 95th percentile (P95): the amount the contract costs in 19 runs out "
        "of 20. Per-profile P50/P95 are the simulation's; the fleet total's are computed here (linear "
        "interpolation). Claimed credits apply the `claim_rate` choice.",
        plot_list[:1],
        [
            Table(
                "table-liability",
                "Credits owed per replication",
                ["profile", "mean", "P50", "P95", "claimed (mean)", "max"],
                rows,
                {1, 2, 3, 4, 5},
            )
        ],
        grid=plot_list[1:],
    )


# ----- restoration times ------------------------------------------------------------------------------
def _clock(rows: list[dict[str, Any]], objective: float) -> str:
    """Which clock the objective runs on: the row's `clock` column, else the one that explains the flags."""
    given = {r.get("clock") for r in rows if r.get("clock")}
    if len(given) == 1:
        return "business" if "business" in given.pop() else "wallclock"
    agree_b = sum((r["business_minutes"] <= objective) == r["within_objective"] for r in rows)
    agree_w = sum((r["wallclock_minutes"] <= objective) == r["within_objective"] for r in rows)
    if agree_b == agree_w:  # the flags do not tell: day-long objectives are read on the wall clock
        return "wallclock" if objective >= 1440 else "business"
    return "business" if agree_b > agree_w else "wallclock"


def restoration(run: Run, profiles: dict[str, Profile]) -> Section:
    """Restoration times per profile and objective (4 business hours, 72/96 h equipment), share within.

    Only tickets whose cause counts as a failure under the profile are measured against its objectives
    (planned maintenance or, for ALLEO, an access-link cut are not failures: CONTRACTS §2).
    """
    groups: dict[tuple[str, float], list[dict[str, Any]]] = defaultdict(list)
    no_objective: dict[str, list[float]] = defaultdict(list)
    for r in run.restorations:
        profile = profiles.get(r["profile"])
        if r["restored_at"] is None or profile is None or not profile.counts(r["cause"]):
            continue
        if r["objective_minutes"] is None or r["within_objective"] is None:
            no_objective[r["profile"]].append(r["wallclock_minutes"])
        else:
            groups[(r["profile"], r["objective_minutes"])].append(r)
    order = {p: i for i, p in enumerate(run.profiles)}
    plot_list, rows = [], []
    for (name, objective), items in sorted(groups.items(), key=lambda kv: (order.get(kv[0][0], 99), kv[0])):
        clock = _clock(items, objective)
        minutes = [r[f"{clock}_minutes"] for r in items]
        kinds = ", ".join(sorted({r["kind"] for r in items}))
        within = sum(r["within_objective"] for r in items) / len(items)
        label = f"{objective / 60:g} {'business ' if clock == 'business' else ''}h"
        share = pct(100 * within, 1)
        q50, q95 = percentiles(minutes)
        rows.append([name, kinds, label, str(len(items)), share, hours(q50), hours(q95)])
        plot_list.append(
            plots.histogram(
                f"plot-restoration-{name}-{int(objective)}",
                [m / 60 for m in minutes],
                markers=[(objective / 60, "objective")],
                clip_at=max(q95 * 1.25, objective * 1.5) / 60,
                title=f"{name}: {share} within {label}",
                x_label=f"{kinds}: {clock.replace('wallclock', 'wall-clock')} hours to restore",
                fmt=lambda v: f"{v:,.1f}" if v < 10 else f"{v:,.0f}",
                height=230,
                width=SMALL,
            )
        )
    for name in sorted(no_objective, key=lambda n: order.get(n, 99)):
        q50, q95 = percentiles(no_objective[name])
        rows.append([name, "all", "none", str(len(no_objective[name])), "—", hours(q50), hours(q95)])
    return Section(
        "restoration",
        "Restoration times against objectives",
        "Time from notification to restoration of every ticket over all replications whose cause counts as "
        "a failure under the profile, on the clock the objective uses (business hours for 4-hour "
        "restoration objectives, wall-clock hours for equipment replacement), against the profile's "
        "objective. Profiles without an objective are listed with wall-clock times.",
        []
        if plot_list
        else [plots.empty_chart("plot-restoration", "Restoration times", "no restored ticket")],
        [
            Table(
                "table-restoration",
                "Restoration times",
                ["profile", "kind", "objective", "tickets", "within objective", "P50", "P95"],
                rows,
                {3, 4, 5, 6},
            )
        ],
        grid=plot_list,
    )


# ----- installs -------------------------------------------------------------------------------------------
def installs(run: Run, profiles: dict[str, Profile]) -> Section:
    """Business days from indicative date to service start, against each profile's install-delay threshold."""
    departement = {b["site"]: b["departement"] for b in run.billing}
    delays: dict[str, list[int]] = defaultdict(list)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in run.installs:
        name = row.get("profile") or run.site_profile.get(row["site"])
        profile = profiles.get(name) if name else None
        c = counts[name or "?"]
        c["sites"] += 1
        if row["service_start"] is None or profile is None:
            c["not started"] += 1
            continue
        cal = profile.calendar(departement.get(row["site"]))
        days = cal.business_days_between(row["indicative_date"], row["service_start"])
        delays[name].append(days)
        spec = profile.install_delay
        if spec is not None and days > spec.business_days:  # threshold from the profile (000 §5.2)
            c["late, customer" if row["customer_caused"] else "late, provider"] += 1
            if not row["customer_caused"]:
                c["handsets"] += row["handsets"]
        else:
            c["on time"] += 1
    plot_list, rows = [], []
    for name in [p for p in run.profiles if p in counts] + sorted(set(counts) - set(run.profiles)):
        spec = profiles[name].install_delay if name in profiles else None
        threshold = f"{spec.business_days} business days" if spec else "none"
        c = counts[name]
        rows.append(
            [
                name,
                str(c["sites"]),
                threshold,
                str(c["on time"]),
                str(c["late, provider"]),
                str(c["late, customer"]),
                str(c["handsets"]),
                str(c["not started"]),
            ]
        )
        if delays.get(name):
            markers = [(float(spec.business_days), "threshold")] if spec else []
            plot_list.append(
                plots.histogram(
                    f"plot-installs-{name}",
                    delays[name],
                    markers=markers,
                    discrete=True,
                    title=f"Install delays, {name}",
                    fmt=lambda v: f"{v:,.0f}",
                    height=230,
                    width=SMALL,
                    x_label=f"{name}: business days from indicative date to service start",
                )
            )
    inst = run.summary["per_replication"][0].get("install_credits_eur")
    extra = f" Install-delay credits in replication 0: {eur(float(inst))}." if inst is not None else ""
    return Section(
        "installs",
        "Install delays",
        "Business days from the indicative service-start date to the actual service start, in the site's "
        "business calendar, against the contract's install-delay threshold (a credit per handset is due when "
        "the provider, not the customer, caused the delay)." + extra,
        [] if plot_list else [plots.empty_chart("plot-installs", "Install delays", "no install completed")],
        [
            Table(
                "table-installs",
                "Installs",
                [
                    "profile",
                    "sites",
                    "threshold",
                    "on time",
                    "late (provider)",
                    "late (customer)",
                    "handsets credited",
                    "not started",
                ],
                rows,
                {1, 3, 4, 5, 6, 7},
            )
        ],
        grid=plot_list,
    )


# ----- porting ------------------------------------------------------------------------------------------
def porting(run: Run) -> Section:
    """Outcomes of the number-porting mandates, their rejection reasons and delays."""
    outcomes: dict[str, int] = defaultdict(int)
    reasons: dict[tuple[str, str], int] = defaultdict(int)
    delays = []
    for row in run.porting:
        outcomes[row["outcome"]] += 1
        if row["reason"]:
            reasons[(row["outcome"], row["reason"])] += 1
        if row["ported_at"] is not None:
            delays.append((row["ported_at"] - row["submitted_at"]).total_seconds() / 86400)
    names = sorted(outcomes, key=lambda o: (-outcomes[o], o))
    plot_list = [
        plots.bar_chart(
            "plot-porting-outcomes",
            names,
            {"mandates": [outcomes[o] for o in names]},
            title="Porting outcomes",
            y_label="mandates",
            height=240,
            width=SMALL,
        )
    ]
    if delays:
        q50, q95 = percentiles(delays)
        plot_list.append(
            plots.histogram(
                "plot-porting-delays",
                delays,
                markers=[(q50, "P50"), (q95, "P95")],
                title="Days from submission to porting",
                x_label="calendar days from submission to porting",
                fmt=lambda v: f"{v:,.0f}",
                height=240,
                width=SMALL,
            )
        )
    total = sum(outcomes.values()) or 1
    rows = [[o, str(outcomes[o]), pct(100 * outcomes[o] / total, 1)] for o in names]
    reason_rows = [[o, r, str(n)] for (o, r), n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))]
    return Section(
        "porting",
        "Porting outcomes",
        f"The {sum(outcomes.values())} number-porting mandates of the run: how they ended, why some were "
        "rejected, and how long the ported ones took.",
        [],
        [
            Table("table-porting", "Outcomes", ["outcome", "mandates", "share"], rows, {1, 2}),
            Table(
                "table-porting-reasons",
                "Rejection reasons",
                ["outcome", "reason", "mandates"],
                reason_rows,
                {2},
            ),
        ],
        grid=plot_list,
    )


# ----- scenario parameters and choices -----------------------------------------------------------------
def flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Flatten nested mappings to (dotted.key, value) pairs; lists of scalars stay on one line."""
    if isinstance(value, dict):
        out = []
        for k, v in value.items():
            out += flatten(v, f"{prefix}.{k}" if prefix else str(k))
        return out
    if isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        out = []
        for i, v in enumerate(value):
            out += flatten(v, f"{prefix}[{i}]")
        return out
    return [(prefix, json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value)]


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _record_tables(resolved: dict[str, Any]) -> list[Table]:
    """A table for each top-level list of records of the scenario (site groups…): the fleet at a glance."""
    tables = []
    for key, value in resolved.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            columns = list(dict.fromkeys(k for v in value for k in v))
            rows = [[_value(v.get(c, "")) for c in columns] for v in value]
            tables.append(Table(f"table-scenario-{key}", key.replace("_", " "), columns, rows))
    return tables


def scenario(run: Run, profiles: dict[str, Profile]) -> Section:
    """The scenario as validated (defaults filled), the profiles' files and the choices in force."""
    params = [[k, v] for k, v in flatten(run.resolved)]
    choice_rows, changed = [], []
    for name in run.profiles:
        prov = run.sla["provenance"].get(name) or {}
        profile = profiles[name]
        for key, value in sorted(profile.choices.items()):
            spec = profile.choice_specs.get(key)
            default = spec is not None and value == spec.default
            row = [name, key, _value(value), "default" if default else "changed", spec.clause if spec else ""]
            choice_rows.append(row)
            if not default:
                changed.append([name, key, _value(value), _value(spec.default) if spec else "", row[4]])
        choice_rows.append([name, "sha256", str(prov.get("sha256", profile.sha256))[:16] + "…", "", ""])
    if not changed:
        changed = [["every profile", "—", "defaults", "", "CONTRACTS.md §14"]]
    return Section(
        "scenario",
        "Scenario parameters and choices",
        f"Scenario {run.summary['scenario']!r}, seed {run.summary['seed']}, "
        f"{run.summary['replications']} replications. The contract readings (CONTRACTS.md §14) that differ "
        "from the profiles' defaults, the fleet, then every parameter of the validated scenario (defaults "
        "filled in) and every choice in force.",
        [],
        [
            Table(
                "table-choices-changed",
                "Choices changed from the defaults",
                ["profile", "choice", "value", "default", "clause"],
                changed,
            ),
            *_record_tables(run.resolved),
            Table("table-scenario", "Parameters", ["parameter", "value"], params),
            Table(
                "table-choices",
                "Contract choices in force",
                ["profile", "choice", "value", "", "clause"],
                choice_rows,
            ),
        ],
        pre=run.scenario_yaml,
    )


def build_sections(run: Run) -> list[Section]:
    """Every section of the report, in reading order."""
    profiles = profiles_in_force(run)
    return [
        availability(run, profiles),
        worst_sites(run),
        credits(run, profiles),
        liability(run),
        restoration(run, profiles),
        installs(run, profiles),
        porting(run),
        scenario(run, profiles),
    ]
