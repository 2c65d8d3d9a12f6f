"""Operations sections: restoration times against objectives, install delays, porting outcomes."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from centrex import plots
from centrex.report.common import SMALL, Section, Table, eur, hours, pct, percentiles
from centrex.report.rundir import Run
from contracts.profile import Profile


# ----- restoration times ------------------------------------------------------------------------------
def _clock(profile: Profile, objective_minutes: float) -> str:
    """The clock an objective of the profile runs on, from its typed terms: the restoration objective's
    own clock; wall-clock hours for equipment replacement (and for an objective the terms do not know)."""
    restoration = profile.sla_terms().objectives.restoration
    if restoration is not None and objective_minutes == restoration.minutes:
        return restoration.clock
    return "wallclock"


def restoration(run: Run, profiles: dict[str, Profile]) -> Section:
    """Restoration times per profile and objective (4 business hours, 72/96 h equipment), share within.

    Only tickets whose cause counts as a failure under the profile are measured against its objectives
    (planned maintenance or, for ALLEO, an access-link cut are not failures: CONTRACTS §2).
    """
    rest = run.restorations
    lab = rest.labels
    pair = rest.profile.astype(np.int64) * len(lab) + rest.cause
    keys, inverse = np.unique(pair, return_inverse=True)
    counted = np.array(
        [
            lab[k // len(lab)] in profiles and profiles[lab[k // len(lab)]].counts(lab[k % len(lab)])
            for k in keys.tolist()
        ],
        dtype=bool,
    )
    measured = rest.restored & (counted[inverse] if len(keys) else np.zeros(0, dtype=bool))
    none = measured & (np.isnan(rest.objective) | (rest.within < 0))
    groups: dict[tuple[str, float], np.ndarray] = {}
    no_objective: dict[str, list[float]] = {}
    for p in dict.fromkeys(rest.profile[none].tolist()):
        no_objective[lab[p]] = rest.wallclock[none & (rest.profile == p)].tolist()
    timed = measured & ~none
    for p, o in dict.fromkeys(zip(rest.profile[timed].tolist(), rest.objective[timed].tolist(), strict=True)):
        groups[(lab[p], o)] = np.flatnonzero(timed & (rest.profile == p) & (rest.objective == o))
    order = {p: i for i, p in enumerate(run.profiles)}
    plot_list, rows = [], []
    for (name, objective), ks in sorted(groups.items(), key=lambda kv: (order.get(kv[0][0], 99), kv[0])):
        clock = _clock(profiles[name], objective)
        minutes = (rest.business if clock == "business" else rest.wallclock)[ks].tolist()
        kinds = ", ".join(sorted(rest.texts(rest.kind[ks])))
        within = int((rest.within[ks] == 1).sum()) / len(ks)
        label = f"{objective / 60:g} {'business ' if clock == 'business' else ''}h"
        share = pct(100 * within, 1)
        q50, q95 = percentiles(minutes)
        rows.append([name, kinds, label, str(len(ks)), share, hours(q50), hours(q95)])
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
        plot_list.append(
            plots.histogram(
                f"plot-restoration-{name}-none",
                [m / 60 for m in no_objective[name]],
                markers=[(q50 / 60, "P50"), (q95 / 60, "P95")],
                clip_at=q95 * 1.25 / 60,
                title=f"{name}: no restoration objective",
                x_label="wall-clock hours to restore",
                fmt=lambda v: f"{v:,.1f}" if v < 10 else f"{v:,.0f}",
                height=230,
                width=SMALL,
            )
        )
    return Section(
        "restoration",
        "Restoration times against objectives",
        "Time from notification to restoration of every ticket over all replications whose cause counts as "
        "a failure under the profile, on the clock the objective uses (business hours for 4-hour "
        "restoration objectives, wall-clock hours for equipment replacement), against the profile's "
        "objective. Profiles without an objective are listed with wall-clock times.",
        []
        if plot_list
        else [
            plots.empty_chart(
                "plot-restoration",
                "Restoration times",
                "no restored ticket counts as a failure under its profile",
            )
        ],
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
        [] if plot_list else [plots.empty_chart("plot-installs", "Install delays", "no install in this run")],
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
