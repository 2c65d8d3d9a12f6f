"""One replication, end to end: installs → SimPy model → outages → tickets → bills → the SLA engine.

Runs in a worker process (multiprocessing or Dask), so it returns plain data: the columns of its tables
(`sim.tables`) and the metrics of the summary (`sim.metrics`). Its random streams come from the scenario
seed and the replication index only (`sim.context`), so the result does not depend on which worker ran
it or in what order.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np

from contracts.calendar import local_epoch
from contracts.choices import Cause
from contracts.fees import cancellation_charge, fees_of
from contracts.month import Month
from contracts.records import BillingRow, Incidents, InstallRow
from contracts.sla import compute
from sim.billing import Bills, fleet_bills
from sim.changes import (
    NO_MOVE_CLAUSE,
    Change,
    Charge,
    draw_changes,
    has_move_clause,
    leave_service,
    move_charge,
    stop_bills,
    termination_charge,
    until_days,
    with_move_tickets,
)
from sim.choices import InstallOutcome, LifeEvent
from sim.context import CAUSE_CODE, Context, as_of_epoch, context, replication_rngs, site_profiles, stream
from sim.installs import CANCEL_DRAWS, Install, service_start_minute, simulate_install
from sim.metrics import non_response_counts, replication_metrics, restoration_times
from sim.model import FleetModel, RawRun, duration_draws
from sim.outages import Sweep, Tickets, sweep, tickets, unplanned, wait_for_customer
from sim.porting import Port, simulate_port
from sim.rundir import Detail, tables_of
from sim.scenario import Scenario
from sim.tables import (
    LifeRow,
    TicketTimes,
    billing_columns,
    events_columns,
    incidents_columns,
    installs_columns,
    lifecycle_columns,
    porting_columns,
    restorations_columns,
    ticket_times,
)
from sim.ticketing import Replacements, detections, pending_draws, replacements, ticket_rngs, waiting_profiles


@dataclass
class Result:
    """What a replication sends back: its summary metrics and, unless its worker wrote them itself, the
    columns of the tables it contributes under `--detail` (`sim.rundir.tables_of`)."""

    index: int
    metrics: dict[str, Any]
    sim_events: int
    sim_seconds: float
    cpu_seconds: float = 0.0  # CPU time of the whole replication in its worker (benchmarks)
    sim_cpu_seconds: float = 0.0  # CPU time of its SimPy phase (benchmarks)
    parts: dict[str, dict[str, Any]] = field(default_factory=dict)  # table name -> columns
    statements: dict[str, list[dict]] | None = None  # the SLA engine's rows per profile, when written
    written: dict[str, int] = field(default_factory=dict)  # files its worker wrote: relative path -> bytes


@dataclass(frozen=True)
class Lifecycle:
    """A replication's installs, moves, terminations and porting mandates, as its run directory records
    them."""

    installs: dict[int, Install]  # fleet site index -> its install (sites with `install: true`)
    ports: list[Port]  # in site order; `ported_at` is None when it falls after the scenario's end
    service_start: list[date | None]  # fleet site index -> first day in service (None: never)
    changes: list[Change] = field(default_factory=list)  # by site, then day
    until: list[date | None] = field(default_factory=list)  # fleet site index -> first day out of service


def lifecycle(s: Scenario, seed: int, index: int = 0) -> Lifecycle:
    """The installs, changes and ports of replication `index`: the same draws as `run_replication`'s."""
    ctx = context(s)
    rngs = replication_rngs(seed, index)
    installs, start_day, changes, until = _life(ctx, rngs)
    return Lifecycle(installs, _ports(ctx, rngs["porting"], start_day, installs), start_day, changes, until)


def _life(ctx: Context, rngs: dict[str, np.random.Generator]):
    """Installs, first days in service, moves and terminations, last days in service.

    A site terminated before its install's service start is never in service (000 §6.4)."""
    installs = _installs(ctx, rngs["installs"], rngs["appointments"])
    start_day: list[date | None] = [ctx.s.start] * len(ctx.fleet)
    for i, ins in installs.items():
        start_day[i] = ins.service_start
    ordered = [ctx.s.start] * len(ctx.fleet)
    for i, ins in installs.items():
        ordered[i] = ins.signed
    movable = frozenset(p for p, prof in ctx.profiles.items() if has_move_clause(prof))
    changes = draw_changes(ctx.s, ctx.fleet, rngs["changes"], start_day, ctx.end, ordered, movable)
    until = until_days(changes, len(ctx.fleet))
    for i, d in enumerate(until):
        if d is not None and start_day[i] is not None and d <= start_day[i]:
            start_day[i] = None
            if i in installs:
                installs[i] = replace(installs[i], service_start=None, outcome=InstallOutcome.cancelled)
    return installs, start_day, changes, until


def run_replication(
    s: Scenario, index: int, seed: int, *, full: bool = True, detail: Detail = Detail.default
) -> Result:
    """Run replication `index` of scenario `s` with base `seed`.

    The result holds the columns of the tables `detail` asks of this replication, and the statements
    when sla.json (replication 0) or its --detail all sibling is written. `full=False` keeps only the
    ground-truth metrics: no SLA engine, no table.
    """
    cpu0 = time.process_time()
    ctx = context(s)
    fleet = ctx.fleet
    rngs = replication_rngs(seed, index)

    installs, start_day, changes, until = _life(ctx, rngs)
    active = np.zeros(len(fleet))
    for i in installs:
        active[i] = service_start_minute(start_day[i], ctx.origin)
    active[active >= ctx.horizon] = np.inf
    gone = _until_minutes(ctx, until)

    t0, c0 = time.perf_counter(), time.process_time()
    raw = FleetModel(s, fleet, active, ctx.clocks, rngs["first_failures"], rngs["dynamics"]).run()
    sim_seconds, sim_cpu = time.perf_counter() - t0, time.process_time() - c0
    sw = sweep(fleet, active, raw)
    tks, reps = _tickets(ctx, raw, sw, rngs["notification"], stream(seed, index, "tickets"), installs, index)
    if changes:  # after the draws, so every other site's draws are those of a run without changes
        raw, sw, tks = leave_service(fleet, raw, sw, tks, gone)
        tks = with_move_tickets(tks, changes, ctx.origin, ctx.horizon, index)
        tks.provider[tks.cause == Cause.move.value] = True  # the provider announces a move's window
        reps = reps.before(gone)  # nothing is replaced at a site out of service
    tt = ticket_times(ctx, tks)
    incs = _profile_incidents(ctx, tks, tt)
    life = _life_charges(ctx, installs, changes, start_day)
    if not full:
        rest = restoration_times(ctx, tks, tt, incs, None)
        metrics = replication_metrics(ctx, active, gone, raw, sw, tks, rest, {}, installs, life, reps, None)
        return Result(index, metrics, raw.events, sim_seconds, time.process_time() - cpu0, sim_cpu)
    bills = _bills(ctx, rngs["billing"], start_day, until)
    statements, ends = _statements(ctx, incs, bills, installs)
    rest = restoration_times(ctx, tks, tt, incs, ends)
    nonresp = non_response_counts(ctx, tt, incs, ends)
    metrics = replication_metrics(
        ctx, active, gone, raw, sw, tks, rest, statements, installs, life, reps, nonresp
    )
    res = Result(index, metrics, raw.events, sim_seconds, sim_cpu_seconds=sim_cpu)
    wanted = {t.name for t in tables_of(detail, index)}
    builders = {
        "events": lambda: events_columns(ctx, raw, sw),
        "incidents": lambda: incidents_columns(ctx, tks, tt),
        "billing": lambda: billing_columns(ctx, bills),
        "installs": lambda: installs_columns(installs),
        "lifecycle": lambda: lifecycle_columns(ctx, life),
        "porting": lambda: porting_columns(_ports(ctx, rngs["porting"], start_day, installs)),
        "restorations": lambda: restorations_columns(ctx, tks, tt, rest),
    }
    res.parts = {name: build() for name, build in builders.items() if name in wanted}
    if "incidents" in wanted:  # sla.json (replication 0) or sla/replication=K.json (--detail all)
        res.statements = statements
    res.cpu_seconds = time.process_time() - cpu0
    return res


# ----- lifecycle ------------------------------------------------------------------------------------
def _installs(ctx: Context, rng: np.random.Generator, cancel_rng: np.random.Generator) -> dict[int, Install]:
    s, fleet = ctx.s, ctx.fleet
    out: dict[int, Install] = {}
    # each site's cancellation draws, in bulk: one row per site of the fleet, used or not
    shape = (len(fleet), CANCEL_DRAWS)
    cancel_u, cancel_e = cancel_rng.random(shape), cancel_rng.standard_exponential(shape)
    for i, site in enumerate(fleet.sites):
        g = fleet.groups[fleet.group[i]]
        if not g.install:
            continue
        prof = ctx.profiles[g.profile]
        late = prof.install_delay.business_days if prof.install_delay is not None else 20
        signed = s.start + timedelta(days=int(rng.integers(0, s.installs.wave_days + 1)))
        out[i] = simulate_install(
            rng,
            s.installs,
            ctx.calendar(g.profile, g.departement),
            site=site,
            profile=g.profile,
            handsets=g.handsets,
            signed=signed,
            late_after_business_days=late,
            cancel_draws=(cancel_u[i], cancel_e[i]),
        )
    return out


def _until_minutes(ctx: Context, until: list[date | None]) -> np.ndarray:
    """Per site: the simulation minute it leaves service (inf: never)."""
    out = np.full(len(ctx.fleet), np.inf)
    for i, d in enumerate(until):
        if d is not None:
            out[i] = (local_epoch(d) - ctx.origin) / 60.0
    return out


def _life_charges(
    ctx: Context, installs: dict[int, Install], changes: list[Change], start_day: list[date | None]
) -> list[LifeRow]:
    """Every cancellation, move and termination of the replication with its charge, by site then day."""
    s, fleet = ctx.s, ctx.fleet
    rows: list[LifeRow] = []
    for i, ins in installs.items():
        if not ins.cancellations:
            continue
        g = fleet.groups[fleet.group[i]]
        prof = ctx.profiles[g.profile]
        fees = fees_of(prof, _fee_overrides(s, g.profile))
        cal = ctx.calendar(g.profile, g.departement)
        for c in ins.cancellations:
            ch = cancellation_charge(prof, cal, c.appointment_at, c.cancelled_at, fees)
            fee = ch.amount_eur if ch.billed else None
            rows.append(
                LifeRow(
                    i,
                    g.profile,
                    LifeEvent.cancellation,
                    c.cancelled_at.date(),
                    c.appointment_at,
                    ch.billed,
                    fee,
                    ch.clause,
                )
            )
    for c in changes:
        g = fleet.groups[fleet.group[c.site]]
        prof = ctx.profiles[g.profile]
        over = _fee_overrides(s, g.profile)
        if c.note:
            ch = Charge(False, None, c.note)
        elif c.event is LifeEvent.termination:
            started = start_day[c.site]
            ch = termination_charge(
                prof,
                service_start=started if started is not None and started < c.on else None,
                on=c.on,
                monthly_fees=g.recurring_eur,
                handsets=g.handsets,
                fees_overrides=over,
            )
        elif c.until is None:  # ALLEO: the same contract at the new site (000 §3.5)
            ch = move_charge(prof, over)
        else:
            ch = Charge(False, None, NO_MOVE_CLAUSE.format(profile=g.profile))
        rows.append(
            LifeRow(
                c.site,
                g.profile,
                c.event,
                c.on,
                None,
                ch.billed,
                ch.fee_eur,
                ch.clause,
                c.departement,
                c.keeps_numbers,
                not c.note,
            )
        )
    rows.sort(key=lambda r: (r.site, r.on, r.event.value))
    return rows


def _fee_overrides(s: Scenario, profile: str) -> dict[str, Any]:
    ps = s.profiles.get(profile)
    return dict(ps.fees) if ps is not None else {}


def _bills(
    ctx: Context, rng: np.random.Generator, start_day: list[date | None], until: list[date | None]
) -> Bills:
    """The fleet's bills; a site out of service stops being billed from its day (pro rata temporis)."""
    fleet = ctx.fleet
    sites = [i for i, d in enumerate(start_day) if d is not None and d < ctx.end]
    groups = [fleet.groups[fleet.group[i]] for i in sites]
    bills = fleet_bills(
        rng,
        sites,
        [start_day[i] for i in sites],
        [g.recurring_eur for g in groups],
        [g.usage_eur for g in groups],
        ctx.end,
    )
    if all(d is None for d in until):
        return bills
    monthly = [fleet.groups[g].recurring_eur for g in fleet.group.tolist()]
    return stop_bills(bills, until, start_day, monthly)


def _statements(
    ctx: Context, incs: dict[str, tuple[np.ndarray, Incidents]], bills: Bills, installs: dict[int, Install]
) -> tuple[dict[str, list[dict]], dict[str, np.ndarray]]:
    """The SLA engine's statement rows per profile (the engine does every contract computation), and the
    restoration it used for each of the profile's tickets (002 §4: a ticket deemed resolved ends early)."""
    as_of = as_of_epoch(ctx)
    out: dict[str, list[dict]] = {}
    ends: dict[str, np.ndarray] = {}
    rows = _billing_rows(ctx, bills)
    for name, prof in ctx.profiles.items():
        inc = incs[name][1]
        billing = rows[name]
        ins = [
            InstallRow(x.site, x.handsets, x.indicative_date, x.service_start, x.customer_caused, k + 2)
            for k, x in enumerate(installs.values())
            if x.profile == name and x.service_start is not None and x.service_start < ctx.end
        ]
        use_installs = ins if prof.install_delay is not None else None
        res = compute(prof, inc, billing, use_installs, as_of)
        out[name] = res.rows
        ends[name] = res.effective_end
    return out, ends


def _profile_incidents(
    ctx: Context, tks: Tickets, tt: TicketTimes
) -> dict[str, tuple[np.ndarray, Incidents]]:
    """Per profile: its tickets' indices and the engine's incident rows of them (the incidents.csv rows)."""
    lookup = ctx.lookups()
    site = tks.site
    prof_of = lookup.profile[site]
    ticket = np.array(tks.ticket, dtype=object)
    cause = np.fromiter(map(CAUSE_CODE.__getitem__, tks.cause.tolist()), dtype=np.int8, count=len(tks))
    out = {}
    for name in ctx.profiles:
        ks = np.flatnonzero(prof_of == name)
        out[name] = (
            ks,
            Incidents(
                file="<simulation>",
                ticket=ticket[ks].tolist(),
                site=lookup.site[site[ks]].tolist(),
                notified=tt.notified[ks],
                restored=tt.restored[ks],
                cause=cause[ks],
                pending_since=tt.pending_since[ks],
                answered_at=tt.answered_at[ks],
                departement=lookup.departement[site[ks]].tolist(),
                line=np.arange(2, len(ks) + 2, dtype=np.int64),
                provider_detected=tks.provider[ks],
                diagnosed_at=tt.diagnosed_at[ks],
                replaced_at=tt.replaced_at[ks],
                under_warranty=tt.under_warranty[ks],
            ),
        )
    return out


def _billing_rows(ctx: Context, bills: Bills) -> dict[str, list[BillingRow]]:
    """The engine's billing rows per profile; `line` is the row's line in billing.csv."""
    fleet = ctx.fleet
    site_prof = site_profiles(ctx)
    deps = [g.departement for g in fleet.groups]
    cents = np.unique(np.concatenate([bills.recurring_cents, bills.usage_cents])).tolist()
    eur = {c: Decimal(c).scaleb(-2) for c in cents}  # one Decimal per distinct amount
    out: dict[str, list[BillingRow]] = {name: [] for name in ctx.profiles}
    sites, group = fleet.sites, fleet.group.tolist()
    cols = zip(
        bills.site.tolist(),
        bills.month.tolist(),
        bills.recurring_cents.tolist(),
        bills.usage_cents.tolist(),
        strict=True,
    )
    for k, (i, m, r, u) in enumerate(cols):
        out[site_prof[i]].append(BillingRow(sites[i], Month(m), eur[r], eur[u], deps[group[i]], k + 2))
    return out


# ----- tickets --------------------------------------------------------------------------------------
def _tickets(
    ctx: Context,
    raw: RawRun,
    sw: Sweep,
    notification: np.random.Generator,
    ticket_stream: np.random.SeedSequence,
    installs: dict[int, Install],
    index: int,
) -> tuple[Tickets, Replacements]:
    """The tickets as the provider records them, and the replacements with their warranty state.

    The customers' calls draw from the notification stream as they always did; detections and requests
    awaiting the customer from the tickets' own streams (`sim.ticketing`)."""
    s = ctx.s
    n = unplanned(sw)
    delays = duration_draws(notification, s.notification, n)
    rngs = ticket_rngs(ticket_stream)
    delivered = np.zeros(len(ctx.fleet), dtype=np.int64)  # the order day: the inventory's delivery
    for i, ins in installs.items():
        delivered[i] = (ins.signed - s.start).days
    reps = replacements(s, ctx.fleet, ctx.profiles, raw, delivered, ctx.origin)
    detected = detections(s.tickets, rngs["detection"], n)
    tks = tickets(sw, delays, ctx.horizon, index, detected, reps.fixes(len(raw.intervals)))
    waits = waiting_profiles(ctx.profiles)
    eligible = np.isin(ctx.lookups().profile[tks.site], list(waits)) & (tks.cause != Cause.maintenance.value)
    draws = pending_draws(s.tickets, rngs["pending"], len(tks))
    tks.pending_since, tks.answered_at = wait_for_customer(tks, eligible, draws, ctx.horizon)
    return tks, reps


def _ports(
    ctx: Context, rng: np.random.Generator, start_day: list[date | None], installs: dict[int, Install]
) -> list[Port]:
    """The porting mandates submitted before the scenario's end, in site order (each signed at order:
    the install's signature, or the scenario's start for sites in service from it)."""
    s, fleet = ctx.s, ctx.fleet
    if s.porting is None:
        return []
    out = []
    for i, site in enumerate(fleet.sites):
        g = fleet.groups[fleet.group[i]]
        d = start_day[i]
        if not g.ported_numbers or d is None or d >= ctx.end:
            continue
        add = ctx.add_business_days(g.profile, g.departement)
        signed = installs[i].signed if i in installs else s.start
        jo = ctx.add_jours_ouvrables(g.profile, g.departement)
        p: Port = simulate_port(
            rng, s.porting, add, jo, site=site, service_start=d, signed=signed, numbers=g.ported_numbers
        )
        if p.submitted_at >= ctx.end:
            continue
        if p.ported_at is not None and p.ported_at >= ctx.end:
            p = replace(p, ported_at=None)  # not yet ported when the scenario ends
        out.append(p)
    return out
