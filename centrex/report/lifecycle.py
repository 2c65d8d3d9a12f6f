"""The fleet's life and its tickets as the provider records them (issue 16): moves, terminations with
their fees, cancelled install appointments, provider-detected tickets, 48-hour non-responses, objectives.

Replication 0's events come from `lifecycle.csv` and `incidents.csv` (through `sim.rundir`'s schema);
the figures over replications from `summary.json` (P50/P95 per profile, `sim.summary`). The fees and
clauses are the simulation's, computed by `contracts` (`centrex bill etf`'s function, `contracts.fees`);
the tickets' objectives and the 48-hour rule are the engine's functions (`contracts.objectives`,
`contracts.sla.deemed_restoration`) applied to replication 0's tickets: no rule is restated here.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from centrex import plots
from centrex.report.common import SMALL, Section, Table, eur, pct
from centrex.report.rundir import Run
from contracts.choices import CAUSES, Cause
from contracts.instants import NAT
from contracts.objectives import check_objectives
from contracts.profile import Profile
from contracts.records import Incidents
from contracts.sla import deemed_restoration
from sim.changes import NOT_IN_SERVICE, NOT_ORDERED

#: Rows of the lifecycle table shown in full; a longer table says how many it leaves out.
EVENT_ROWS = 200

#: summary.json keys per profile (sim.summary), in the order the tables show them: (key, label, money).
LIFE_FIGURES = (
    ("terminations", "terminations", False),
    ("termination_fees_eur", "early-termination fees", True),
    ("moves", "moves", False),
    ("move_fees_eur", "move initial fees", True),
    ("cancellations", "cancelled appointments", False),
    ("cancellations_billed", "cancellations billed", False),
    ("cancellation_fees_eur", "cancellation fees", True),
)
TICKET_FIGURES = (
    ("tickets_provider_detected", "tickets opened on detection", False),
    ("non_responses", "48-hour non-responses", False),
)
EVENTS = ("cancellation", "move", "termination")
NOT_APPLIED = (NOT_IN_SERVICE, NOT_ORDERED)  # the clause of a listed event that did not happen
ANNOUNCED = (Cause.maintenance.value, Cause.move.value)  # tickets the provider opens for its own works


def _value(x: Any, money: bool) -> str:
    """Euros, or a count (whole when it is, a P95 between replications may not be)."""
    if x is None:
        return "—"
    if money:
        return eur(float(x))
    return f"{float(x):,.0f}" if float(x).is_integer() else f"{float(x):,.2f}"


def figure_rows(run: Run, figures: tuple[tuple[str, str, bool], ...]) -> list[list[str]]:
    """One row per profile and figure: replication 0's value, then the mean, P50 and P95 over the
    replications (summary.json); a figure the summary does not have is left out."""
    first = run.summary["per_replication"][0]
    agg = run.summary["aggregate"]
    rows = []
    for name in run.profiles:
        for key, label, money in figures:
            per_profile = first.get(key)
            if not isinstance(per_profile, dict) or name not in per_profile:
                continue
            stats = (agg.get(key) or {}).get(name) or {}
            rows.append(
                [name, label, _value(per_profile[name], money)]
                + [_value(stats.get(k), money) for k in ("mean", "p50", "p95")]
            )
    return rows


def _event_row(r: dict[str, Any]) -> list[str]:
    fee = r.get("fee_eur")
    if r["event"] == "move":
        where = r.get("new_departement") or ""
        keeps = r.get("keeps_numbers")
        numbers = "" if keeps is None else ("kept" if keeps else "new block")
    else:
        where, numbers = "", ""
    appointment = r.get("appointment_at")
    return [
        r["site"],
        r["profile"],
        r["event"],
        r["on"].isoformat(),
        appointment.strftime("%Y-%m-%d %H:%M") if appointment is not None else "",
        "yes" if r["billed"] else "no",
        "—" if fee is None else eur(float(fee)),
        where,
        numbers,
        r["clause"],
    ]


def lifecycle(run: Run, _profiles: dict[str, Profile]) -> Section:
    """Moves, terminations with their fees and cancelled install appointments, per profile."""
    events = run.lifecycle
    # a listed event the site could not have is a row saying so (its clause): shown, never counted
    applied = [r for r in events if r["clause"] not in NOT_APPLIED]
    counts = Counter((r["profile"], r["event"]) for r in applied)
    billed = Counter(r["profile"] for r in events if r["event"] == "cancellation" and r["billed"])
    names = [p for p in run.profiles if any(counts[(p, e)] for e in EVENTS)]
    grid = [
        plots.empty_chart(
            "plot-lifecycle-events",
            "Lifecycle events",
            "no move, termination or cancelled appointment in this run",
            width=SMALL,
        )
    ]
    if names:
        series = {
            "cancelled, billed": [billed[p] for p in names],
            "cancelled": [counts[(p, "cancellation")] - billed[p] for p in names],
            "moves": [counts[(p, "move")] for p in names],
            "terminations": [counts[(p, "termination")] for p in names],
        }
        grid[0] = plots.bar_chart(
            "plot-lifecycle-events",
            names,
            series,
            title="Lifecycle events in replication 0",
            y_label="events",
            stacked=True,
            height=260,
            width=SMALL,
        )
    agg = run.summary["aggregate"].get("termination_fees_eur") or {}
    fee_names = [p for p in run.profiles if (agg.get(p) or {}).get("p95")]
    if fee_names:
        grid.append(
            plots.bar_chart(
                "plot-termination-fees",
                fee_names,
                {k.upper(): [float(agg[p][k]) for p in fee_names] for k in ("p50", "p95")},
                title="Early-termination fees per replication",
                y_label="euros",
                fmt=lambda v: f"{v:,.0f} €",
                height=260,
                width=SMALL,
            )
        )
    shown = events[:EVENT_ROWS]
    more = (
        f" The table lists the first {EVENT_ROWS} of {len(events):,} events."
        if len(events) > EVENT_ROWS
        else ""
    )
    fees = sum(float(r["fee_eur"]) for r in events if r["billed"] and r.get("fee_eur") is not None)
    unapplied = len(events) - len(applied)
    more += f" {unapplied} listed events could not happen: their rows say why." if unapplied else ""
    intro = (
        f"Replication 0 has {counts_total(counts, 'move')} moves, {counts_total(counts, 'termination')} "
        f"terminations and {counts_total(counts, 'cancellation')} cancelled install appointments "
        f"({sum(billed.values())} billed, less than 48 business hours before the appointment: 000 §7.3 (iv), "
        f"002 §3), {eur(fees)} billed in all. An ALLEO move's announced interruption is a ticket of cause "
        "`move`, not counted (000 §3.5); under the other profiles a move is a termination and a new order. "
        "Early-termination fees come from the function `centrex bill etf` uses, handsets included; the "
        "amounts the seeds leave to « tarifs standards » are the profiles' placeholder fees unless the "
        "scenario sets them. The figures table gives the mean, P50 and P95 over the replications." + more
    )
    return Section(
        "lifecycle",
        "Moves, terminations and cancellations",
        intro,
        [],
        [
            _figures_table("table-lifecycle-figures", figure_rows(run, LIFE_FIGURES)),
            Table(
                "table-lifecycle-events",
                "Events of replication 0",
                [
                    "site",
                    "profile",
                    "event",
                    "on",
                    "appointment",
                    "billed",
                    "fee",
                    "to département",
                    "numbers",
                    "clause",
                ],
                [_event_row(r) for r in shown],
                {6},
            ),
        ],
        grid=grid,
    )


def counts_total(counts: Counter, event: str) -> int:
    """How many events of one kind, over every profile."""
    return sum(n for (_, e), n in counts.items() if e == event)


def _share(stats: Any) -> str:
    if not isinstance(stats, dict) or stats.get("mean") is None:
        return "—"
    text = pct(100 * float(stats["mean"]), 1)
    ci = stats.get("ci95")
    if ci and ci[0] is not None:
        text += f" ({100 * float(ci[0]):.1f}–{100 * float(ci[1]):.1f})"
    return text


def incidents_of(rows: list[dict[str, Any]], file: str) -> Incidents:
    """The engine's `Incidents` of parsed incidents.csv rows (CSV or Parquet alike): an optional column
    absent from the file stays None, as `contracts.records.read_incidents` leaves it."""
    present = set(rows[0]) if rows else set()

    def secs(key: str) -> np.ndarray:
        return np.array(
            [NAT if r.get(key) is None else int(r[key].timestamp()) for r in rows], dtype=np.int64
        )

    def optional(key: str) -> np.ndarray | None:
        return secs(key) if key in present else None

    warranty = None
    if "under_warranty" in present:
        codes = {True: 1, False: 0, None: -1}
        warranty = np.array([codes[r.get("under_warranty")] for r in rows], dtype=np.int8)
    detected = None
    if "detected_by" in present:
        detected = np.array([(r.get("detected_by") or "").lower() == "provider" for r in rows], dtype=bool)
    return Incidents(
        file=file,
        ticket=[r["ticket"] for r in rows],
        site=[r["site"] for r in rows],
        notified=secs("notified_at"),
        restored=secs("restored_at"),
        cause=np.array([CAUSES.index(r["cause"]) for r in rows], dtype=np.int8),
        pending_since=optional("pending_since"),
        answered_at=optional("answered_at"),
        departement=[r.get("departement") or "" for r in rows] if "departement" in present else None,
        line=np.arange(2, len(rows) + 2, dtype=np.int64),
        provider_detected=detected,
        diagnosed_at=optional("diagnosed_at"),
        replaced_at=optional("replaced_at"),
        under_warranty=warranty,
    )


def incidents_by_profile(run: Run) -> dict[str, Incidents]:
    """Replication 0's tickets as the engine's `Incidents`, one per profile that has tickets (one pass)."""
    rows: dict[str, list[dict[str, Any]]] = {}
    for r in run.incidents:
        rows.setdefault(r.get("profile") or run.site_profile.get(r["site"], "?"), []).append(r)
    return {name: incidents_of(mine, f"incidents.csv ({name})") for name, mine in rows.items()}


def deemed_count(profile: Profile, inc: Incidents) -> int:
    """Tickets the engine deems resolved for want of the customer's answer (002 §4,
    `contracts.sla.deemed_restoration` under the profile's `non_response_restores_at`)."""
    return int((deemed_restoration(profile.sla_terms(), inc) != inc.restored).sum())


RESTORATION_STATES = ("met", "missed", "open")
REPLACEMENT_STATES = ("met", "missed", "not_measurable")


def objective_rows(
    run: Run, profiles: dict[str, Profile], incidents: dict[str, Incidents]
) -> list[list[str]]:
    """Per profile, replication 0's tickets against its objectives, through the function `sla compute`
    and the simulation's summary use (`contracts.objectives.check_objectives`): met / missed / open (or
    not measurable) with the clause."""
    rows = []
    for name in run.profiles:
        inc = incidents.get(name)
        if inc is None or name not in profiles:
            continue
        res = check_objectives(profiles[name], inc)
        rest = Counter(res.restoration_status.tolist())
        repl = Counter(res.replacement_status.tolist())
        rows.append(
            [name]
            + [f"{rest[k]:,}" for k in RESTORATION_STATES]
            + [res.restoration_clause]
            + [f"{repl[k]:,}" for k in REPLACEMENT_STATES]
            + [res.replacement_clause]
        )
    return rows


def tickets(run: Run, profiles: dict[str, Profile]) -> Section:
    """Who opened the tickets, the ones the provider waited on the customer for, and the objectives."""
    by_profile = Counter()
    detected = Counter()
    waiting = Counter()
    unanswered = Counter()
    for r in run.incidents:
        name = r.get("profile") or run.site_profile.get(r["site"], "?")
        by_profile[name] += 1
        # planned works and a move's announced window are opened by the provider too: no failure it detected
        if (r.get("detected_by") or "customer").lower() == "provider" and r["cause"] not in ANNOUNCED:
            detected[name] += 1
        if r.get("pending_since") is not None:
            waiting[name] += 1
            if r.get("answered_at") is None:
                unanswered[name] += 1
    names = [p for p in run.profiles if by_profile[p]]
    incidents = incidents_by_profile(run)
    deemed = {p: deemed_count(profiles[p], incidents[p]) for p in names if p in profiles}
    grid = []
    if names:
        grid.append(
            plots.bar_chart(
                "plot-tickets-detected",
                names,
                {
                    "opened on detection": [detected[p] for p in names],
                    "other tickets": [by_profile[p] - detected[p] for p in names],
                },
                title="Tickets of replication 0 by who opened them",
                y_label="tickets",
                stacked=True,
                height=260,
                width=SMALL,
            )
        )
    if any(waiting.values()):
        wait_names = [p for p in names if waiting[p]]
        grid.append(
            plots.bar_chart(
                "plot-tickets-pending",
                wait_names,
                {
                    "answered": [waiting[p] - unanswered[p] for p in wait_names],
                    "never answered": [unanswered[p] for p in wait_names],
                },
                title="Tickets waiting for the customer (replication 0)",
                y_label="tickets",
                stacked=True,
                height=260,
                width=SMALL,
            )
        )
    if not grid:
        grid.append(
            plots.empty_chart("plot-tickets-detected", "Tickets", "no ticket in this run", width=SMALL)
        )
    rows = [
        [
            p,
            f"{by_profile[p]:,}",
            f"{detected[p]:,}",
            f"{waiting[p]:,}",
            f"{unanswered[p]:,}",
            f"{deemed.get(p, 0):,}",
        ]
        for p in names
    ]
    agg = run.summary["aggregate"]
    objectives = [
        [
            p,
            _share(agg.get("restoration_within_objective", {}).get(p)),
            _share(agg.get("replacement_within_objective", {}).get(p)),
        ]
        for p in run.profiles
    ]
    choice = profiles["allset"].sla_terms().provider_detected_counts if "allset" in profiles else None
    counted = (
        ""
        if choice is None
        else f" Under ALLSET, provider-detected tickets {'count' if choice else 'do not count'} towards "
        "availability (`provider_detected_counts`, 001 §4)."
    )
    intro = (
        "Tickets as providers record them: a share of failures is caught by supervision and its ticket "
        "opens at detection (001 §4 (i), 002 §4), the others at the customer's call. ProgetCom tickets the "
        "provider waits on the customer for carry `pending_since`/`answered_at`; without an answer within 48 "
        "hours the engine deems them resolved (002 §4, `non_response_restores_at`)."
        + counted
        + " Objectives are checked by `contracts.objectives.check_objectives`, the function of `sla "
        "compute` and of the simulation's summary: replication 0's tickets met or missed, then the share met "
        "over the replications (mean, 95 % interval). A cause that does not count (maintenance, a move's "
        "announced window) has no restoration objective; a replacement without its diagnosis time or "
        "warranty state is not measurable, never guessed."
    )
    return Section(
        "tickets",
        "Tickets: detection, 48-hour rule, objectives",
        intro,
        [],
        [
            _figures_table("table-tickets-figures", figure_rows(run, TICKET_FIGURES)),
            Table(
                "table-tickets",
                "Tickets of replication 0",
                [
                    "profile",
                    "tickets",
                    "opened on detection",
                    "waiting for the customer",
                    "never answered",
                    "deemed resolved (48-hour rule)",
                ],
                rows,
                {1, 2, 3, 4, 5},
            ),
            Table(
                "table-objectives-tickets",
                "Objectives of replication 0's tickets",
                [
                    "profile",
                    "restoration met",
                    "missed",
                    "open",
                    "clause",
                    "replacement met",
                    "missed",
                    "not measurable",
                    "clause",
                ],
                objective_rows(run, profiles, incidents),
                {1, 2, 3, 5, 6, 7},
            ),
            Table(
                "table-objectives",
                "Objectives met over the replications",
                ["profile", "restoration within objective", "replacement within objective"],
                objectives,
            ),
        ],
        grid=grid,
    )


def _figures_table(ident: str, rows: list[list[str]]) -> Table:
    """A section's per-profile figures: replication 0 beside the mean, P50 and P95 over replications."""
    return Table(
        ident,
        "Per profile, over the replications",
        ["profile", "figure", "replication 0", "mean", "P50", "P95"],
        rows,
        {2, 3, 4, 5},
    )
