"""Money sections: monthly credits by profile and cause, and the credit liability over replications."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time
from typing import Any

import numpy as np

from centrex import plots
from centrex.report.common import SMALL, Section, Table, eur, percentiles
from centrex.report.rundir import PARIS, Run
from contracts.month import Month
from contracts.profile import Profile

UNATTRIBUTED = "unattributed"
INSTALL_DELAY = "install delay"


# ----- monthly credits by profile and cause -----------------------------------------------------------
def _month_span(month: str) -> tuple[datetime, datetime]:
    m = Month.parse(month)
    return tuple(datetime.combine(x.first_day, time(), PARIS) for x in (m, m.shift(1)))


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
