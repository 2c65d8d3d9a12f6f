"""One replication, end to end: installs → SimPy model → outages → tickets → bills → the SLA engine.

Runs in a worker process (multiprocessing or Dask), so it returns plain data: the columns of its tables
(`sim.rundir` row types, rows already in a total order) and the metrics of the summary. Its random
streams come from the scenario seed and the replication index only (numpy SeedSequence), so the result
does not depend on which worker ran it or in what order.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

import numpy as np

from contracts.calendar import BusinessCalendar, local_epoch, to_epoch
from contracts.choices import CAUSES, Cause
from contracts.fees import cancellation_charge, fees_of
from contracts.money import money
from contracts.month import Month
from contracts.objectives import check_objectives
from contracts.profile import Profile, load_profile
from contracts.records import NAT, BillingRow, Incidents, InstallRow
from contracts.sla import compute
from sim.billing import Bills, end_date, fleet_bills
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
from sim.choices import SITE_KINDS, InstallOutcome, Kind, LifeEvent, RepairWindow
from sim.clock import BusinessClock
from sim.fleet import Fleet, build_fleet
from sim.installs import CANCEL_DRAWS, Install, service_start_minute, simulate_install
from sim.model import FleetModel, RawRun, duration_draws
from sim.outages import Sweep, Tickets, sweep, tickets, unplanned, wait_for_customer
from sim.porting import Port, simulate_port
from sim.rundir import Detail, tables_of
from sim.scenario import Scenario
from sim.ticketing import (
    Replacements,
    detections,
    first_after,
    pending_draws,
    replacement_incidents,
    replacements,
    ticket_rngs,
    waiting_profiles,
    within_share,
)

# New streams go at the end: a child's seed depends on its position only, so the others keep their draws.
STREAMS = (
    "installs",
    "first_failures",
    "dynamics",
    "notification",
    "porting",
    "billing",
    "appointments",  # install cancellations
    "changes",  # moves and terminations
    "tickets",  # detections and requests awaiting the customer (`sim.ticketing`)
)
_CAUSE_CODE = {c: i for i, c in enumerate(CAUSES)}


def replication_rngs(seed: int, index: int) -> dict[str, np.random.Generator]:
    """Independent generators of replication `index` (child `index` of SeedSequence(seed), whatever N)."""
    children = np.random.SeedSequence(seed, spawn_key=(index,)).spawn(len(STREAMS))
    return {name: np.random.default_rng(ss) for name, ss in zip(STREAMS, children, strict=True)}


def stream(seed: int, index: int, name: str) -> np.random.SeedSequence:
    """The seed sequence of stream `name` of replication `index` (what `replication_rngs` draws from)."""
    return np.random.SeedSequence(seed, spawn_key=(index, STREAMS.index(name)))


def scenario_profiles(s: Scenario) -> dict[str, Profile]:
    """Load the scenario's profiles with its choices (raises InputError on an unknown one)."""
    return {p: load_profile(p, s.profiles[p].set if p in s.profiles else {}) for p in s.profile_names}


@dataclass
class Context:
    """What every replication of a scenario shares (built once per worker process)."""

    s: Scenario
    fleet: Fleet
    profiles: dict[str, Profile]
    clocks: list[BusinessClock]  # per group: the crews' working window
    origin: int
    horizon: float
    end: date
    _calendars: dict[tuple[str, str], BusinessCalendar] = field(default_factory=dict, repr=False)
    _adders: dict[tuple[str, str], Callable[[date, int], date]] = field(default_factory=dict, repr=False)
    _jours: dict[tuple[str, str], Callable[[date, int], date]] = field(default_factory=dict, repr=False)
    _lookups: Lookups | None = field(default=None, repr=False)

    def calendar(self, profile: str, departement: str) -> BusinessCalendar:
        """The business calendar of a site of `profile` in `departement` (looked up once)."""
        key = (profile, departement)
        cal = self._calendars.get(key)
        if cal is None:
            cal = self._calendars[key] = self.profiles[profile].calendar(departement)
        return cal

    def add_business_days(self, profile: str, departement: str) -> Callable[[date, int], date]:
        """`calendar(profile, departement).add_business_days`, remembered: most sites of a fleet start
        on the same few days, so the same sums come back thousands of times."""
        key = (profile, departement)
        add = self._adders.get(key)
        if add is None:
            add = self._adders[key] = lru_cache(maxsize=4096)(
                self.calendar(profile, departement).add_business_days
            )
        return add

    def add_jours_ouvrables(self, profile: str, departement: str) -> Callable[[date, int], date]:
        """`Profile.jours_ouvrables(departement).add_business_days` (ARCEP 2013-0830), remembered."""
        key = (profile, departement)
        add = self._jours.get(key)
        if add is None:
            cal = self.profiles[profile].jours_ouvrables(departement)
            add = self._jours[key] = lru_cache(maxsize=4096)(cal.add_business_days)
        return add

    def lookups(self) -> Lookups:
        """The fleet's texts, built on first use."""
        if self._lookups is None:
            f = self.fleet
            deps = [g.departement for g in f.groups]
            self._lookups = Lookups(
                np.array(f.sites, dtype=object),
                np.array(_site_profiles(self), dtype=object),
                np.array(deps, dtype=object)[f.group],
                np.array(_component_names(f), dtype=object),
                np.array([k.value for k in SITE_KINDS], dtype=object),
            )
        return self._lookups


_CONTEXTS: dict[str, Context] = {}


def context(s: Scenario) -> Context:
    """Build (or reuse) the shared context of a scenario."""
    key = s.model_dump_json()
    ctx = _CONTEXTS.get(key)
    if ctx is None:
        profiles = scenario_profiles(s)
        days = s.duration_days + 400  # repairs may end after the horizon
        cache: dict[tuple[str, str], BusinessClock] = {}
        clocks = []
        for g in s.site_groups:
            k = (g.profile, g.departement)
            if k not in cache:
                cal = (
                    None
                    if s.repair.window is RepairWindow.always
                    else profiles[g.profile].calendar(g.departement)
                )
                cache[k] = BusinessClock(cal, s.start, days)
            clocks.append(cache[k])
        ctx = Context(
            s,
            build_fleet(s),
            profiles,
            clocks,
            local_epoch(s.start),
            s.duration_days * 1440.0,
            end_date(s.start, s.duration_days),
        )
        _CONTEXTS.clear()
        _CONTEXTS[key] = ctx
    return ctx


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
        rest = _restorations(ctx, tks, tt, incs, None)
        metrics = _metrics(ctx, active, gone, raw, sw, tks, rest, {}, installs, life, reps, None)
        return Result(index, metrics, raw.events, sim_seconds, time.process_time() - cpu0, sim_cpu)
    bills = _bills(ctx, rngs["billing"], start_day, until)
    statements, ends = _statements(ctx, incs, bills, installs)
    rest = _restorations(ctx, tks, tt, incs, ends)
    nonresp = _non_responses(ctx, tt, incs, ends)
    metrics = _metrics(ctx, active, gone, raw, sw, tks, rest, statements, installs, life, reps, nonresp)
    res = Result(index, metrics, raw.events, sim_seconds, sim_cpu_seconds=sim_cpu)
    wanted = {t.name for t in tables_of(detail, index)}
    builders = {
        "events": lambda: _events_columns(ctx, raw, sw),
        "incidents": lambda: _incidents_columns(ctx, tks, tt),
        "billing": lambda: _billing_columns(ctx, bills),
        "installs": lambda: _installs_columns(installs),
        "lifecycle": lambda: _lifecycle_columns(ctx, life),
        "porting": lambda: _porting_columns(_ports(ctx, rngs["porting"], start_day, installs)),
        "restorations": lambda: _restorations_columns(ctx, tks, tt, rest),
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


@dataclass(frozen=True)
class LifeRow:
    """One row of lifecycle.csv: a cancellation, move or termination with what it bills and why."""

    site: int  # fleet site index
    profile: str
    event: LifeEvent
    on: date
    appointment_at: datetime | None
    billed: bool
    fee_eur: Decimal | None
    clause: str
    new_departement: str | None = None
    keeps_numbers: bool | None = None
    happened: bool = True  # False: a listed move the site could not make (said, not counted)


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


def _lifecycle_columns(ctx: Context, rows: list[LifeRow]) -> dict[str, Any]:
    """lifecycle.csv: cancellations, moves and terminations of the replication, by site then day."""
    sites = ctx.fleet.sites
    return {
        "site": [sites[r.site] for r in rows],
        "profile": [r.profile for r in rows],
        "event": [r.event.value for r in rows],
        "on": [r.on for r in rows],
        "appointment_at": np.array(
            [to_epoch(r.appointment_at) if r.appointment_at else NAT for r in rows], dtype=np.int64
        ),
        "billed": np.array([r.billed for r in rows], dtype=np.int8),
        "fee_eur": np.array(
            [NAT if r.fee_eur is None else int(r.fee_eur.scaleb(2)) for r in rows], dtype=np.int64
        ),
        "clause": [r.clause for r in rows],
        "new_departement": [r.new_departement or "" for r in rows],
        "keeps_numbers": np.array(
            [-1 if r.keeps_numbers is None else r.keeps_numbers for r in rows], np.int8
        ),
    }


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
    as_of = _as_of(ctx)
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


def _as_of(ctx: Context) -> int:
    """The statements' --as-of: the end of the scenario (open tickets are counted up to it)."""
    return ctx.origin + round(ctx.horizon * 60)


def _profile_incidents(
    ctx: Context, tks: Tickets, tt: TicketTimes
) -> dict[str, tuple[np.ndarray, Incidents]]:
    """Per profile: its tickets' indices and the engine's incident rows of them (the incidents.csv rows)."""
    lookup = ctx.lookups()
    site = tks.site
    prof_of = lookup.profile[site]
    ticket = np.array(tks.ticket, dtype=object)
    cause = np.fromiter(map(_CAUSE_CODE.__getitem__, tks.cause.tolist()), dtype=np.int8, count=len(tks))
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
    site_prof = _site_profiles(ctx)
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


# ----- metrics --------------------------------------------------------------------------------------
def _replacements(ctx: Context, reps: Replacements) -> dict[str, float | None]:
    """Per profile: share of equipment replacements done within the objective (001 §4, 002 §4), as the
    kernel's `check_objectives` measures them: every replacement, whether or not the site went down."""
    lookup = ctx.lookups()
    prof_of = lookup.profile[reps.site]
    out: dict[str, float | None] = {}
    for name in sorted(ctx.profiles):
        ks = np.flatnonzero(prof_of == name)
        inc = replacement_incidents(
            reps.take(ks),
            lookup.site[reps.site[ks]],
            lookup.departement[reps.site[ks]],
            lambda m: _epochs(ctx, m),
        )
        out[name] = within_share(check_objectives(ctx.profiles[name], inc).replacement_status)
    return out


def _non_responses(
    ctx: Context, tt: TicketTimes, incs: dict[str, tuple[np.ndarray, Incidents]], ends: dict[str, np.ndarray]
) -> dict[str, int]:
    """Per profile: tickets the engine deemed resolved because the customer did not answer (002 §4)."""
    as_of = _as_of(ctx)
    out = {}
    for name in sorted(ctx.profiles):
        ks = incs[name][0]
        end = np.where(tt.restored[ks] == NAT, np.maximum(as_of, tt.notified[ks]), tt.restored[ks])
        out[name] = int(((tt.pending_since[ks] != NAT) & (ends[name] < end)).sum())
    return out


@dataclass
class Restorations:
    """Per ticket (ticket order): business and wall-clock minutes to restore, and the kernel's restoration
    objective (`contracts.objectives.check_objectives`): its target, met or missed; NaN / -1 for an open
    ticket or one the objective does not apply to."""

    restored: np.ndarray  # bool
    business: np.ndarray
    wallclock: np.ndarray
    objective: np.ndarray
    within: np.ndarray  # int8: 1 met, 0 missed, -1 open or not applicable
    status: np.ndarray  # object: the kernel's restoration_status


def _restorations(
    ctx: Context,
    tks: Tickets,
    tt: TicketTimes,
    incs: dict[str, tuple[np.ndarray, Incidents]],
    ends: dict[str, np.ndarray] | None,
) -> Restorations:
    """Restoration times of the restored tickets on the profile's calendar, and the objectives the kernel
    checks on the same incident rows as the statements (with the engine's restorations, 002 §4)."""
    fleet = ctx.fleet
    n = len(tks)
    restored = tt.restored != NAT
    bus, wall, obj = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    within = np.full(n, -1, dtype=np.int8)
    status = np.full(n, "open", dtype=object)
    group = fleet.group[tks.site]
    keys = [(g.profile, g.departement) for g in fleet.groups]
    key_code = np.array([keys.index(k) for k in keys], dtype=np.int64)
    code = key_code[group] if n else group
    for c in np.unique(code[restored]).tolist():
        pname, dep = keys[c]
        ks = np.flatnonzero(restored & (code == c))
        a, b = tt.notified[ks], tt.restored[ks]
        bus[ks] = ctx.calendar(pname, dep).business_seconds_array(a, b) / 60.0
        wall[ks] = (b - a) / 60.0
    for name, (ks, inc) in incs.items():
        res = check_objectives(ctx.profiles[name], inc, None if ends is None else ends[name])
        st = np.asarray(res.restoration_status, dtype=object)
        status[ks] = st
        measured = (st == "met") | (st == "missed")
        obj[ks] = np.where(measured, res.restoration_target_minutes, np.nan)
        within[ks] = np.where(st == "met", 1, np.where(st == "missed", 0, -1))
    return Restorations(restored, bus, wall, obj, within, status)


def _metrics(
    ctx: Context,
    active: np.ndarray,
    gone: np.ndarray,
    raw: RawRun,
    sw: Sweep,
    tks: Tickets,
    rest: Restorations,
    statements,
    installs,
    life: list[LifeRow],
    reps: Replacements,
    non_responses: dict[str, int] | None,
) -> dict:
    horizon = ctx.horizon
    prof_of = _site_profiles(ctx)
    topo_of = _site_topologies(ctx)
    up_min: dict[str, float] = defaultdict(float)
    topo_min: dict[str, float] = defaultdict(float)
    for i, (a, b) in enumerate(zip(active.tolist(), np.minimum(gone, horizon).tolist(), strict=True)):
        if a < b:
            up_min[prof_of[i]] += b - a
            topo_min[topo_of[i]] += b - a
    down: dict[str, float] = defaultdict(float)
    tdown: dict[str, float] = defaultdict(float)
    count: dict[str, int] = defaultdict(int)
    lasted = np.maximum(0.0, np.minimum(sw.end, horizon) - sw.start)  # up to the end of the scenario
    for site, d in zip(sw.site.tolist(), lasted.tolist(), strict=True):
        down[prof_of[site]] += d
        tdown[topo_of[site]] += d
        count[prof_of[site]] += 1
    names = sorted(ctx.profiles)
    avail = {p: (float(100.0 * (1 - down[p] / up_min[p])) if up_min[p] else None) for p in names}
    tavail = {t: float(100.0 * (1 - tdown[t] / topo_min[t])) for t in sorted(topo_min)}
    ticket_prof = ctx.lookups().profile[tks.site]
    detected = tks.provider & (tks.cause != Cause.maintenance.value) & (tks.cause != Cause.move.value)
    owed, claimed, inst = {}, {}, Decimal(0)
    for p in names:
        rows = statements.get(p, [])
        # zeros skipped: they change neither sum once rounded to the cent
        total = sum((Decimal(str(x)) for r in rows if (x := r["credit_eur"])), Decimal(0))
        inst += sum((Decimal(str(x)) for r in rows if (x := r.get("install_credit_eur", 0))), Decimal(0))
        owed[p] = float(money(total))
        rate = Decimal(str(ctx.profiles[p].choices.get("claim_rate", 1.0)))
        claimed[p] = float(money(total * rate))  # §14 claim_rate: credits are paid only on request
    done = [x for x in installs.values() if x.outcome is InstallOutcome.in_service]
    return {
        "availability": avail,
        "availability_by_topology": tavail,
        "credits_owed_eur": owed,
        "credits_claimed_eur": claimed,
        "restoration_within_objective": {p: within_share(rest.status[ticket_prof == p]) for p in names},
        "install_credits_eur": float(money(inst)),
        "replacement_within_objective": _replacements(ctx, reps),
        "tickets_provider_detected": {p: int((detected & (ticket_prof == p)).sum()) for p in names},
        "non_responses": None if non_responses is None else non_responses,
        "outages": {p: count[p] for p in names},
        "tickets": len(tks),
        "installs_in_service": len(done),
        "installs_terminated": sum(1 for x in installs.values() if x.outcome is InstallOutcome.terminated),
        "down_minutes_by_kind": _down_by_kind(ctx, raw),
        **_life_metrics(names, life),
    }


LIFE_METRICS = (
    "terminations",
    "termination_fees_eur",
    "moves",
    "move_fees_eur",
    "cancellations",
    "cancellations_billed",
    "cancellation_fees_eur",
)


def _life_metrics(names: list[str], life: list[LifeRow]) -> dict[str, dict[str, float]]:
    """Per profile: counts and fees (euros) of terminations, moves and cancellations (LIFE_METRICS)."""
    out: dict[str, dict[str, float]] = {k: dict.fromkeys(names, 0) for k in LIFE_METRICS}
    fees: dict[str, dict[str, Decimal]] = {k: dict.fromkeys(names, Decimal(0)) for k in LIFE_METRICS}
    for r in life:
        if not r.happened:
            continue
        kind = {LifeEvent.termination: "termination", LifeEvent.move: "move"}.get(r.event, "cancellation")
        out[f"{kind}s"][r.profile] += 1
        if r.event is LifeEvent.cancellation and r.billed:
            out["cancellations_billed"][r.profile] += 1
        if r.billed and r.fee_eur is not None:
            fees[f"{kind}_fees_eur"][r.profile] += r.fee_eur
    for k in ("termination_fees_eur", "move_fees_eur", "cancellation_fees_eur"):
        out[k] = {p: float(money(v)) for p, v in fees[k].items()}
    return out


def _down_by_kind(ctx: Context, raw: RawRun) -> dict[str, list[float]]:
    """[count, total minutes] of ordinary (not force-majeure, not planned) down time per kind: the
    observed MTTR that `centrex validate` sets beside the nominal one."""
    out: dict[str, list[float]] = {}
    kinds = ctx.fleet.comp_kind
    for cid, d, u, c in raw.intervals:
        if c != "force_majeure":
            acc = out.setdefault(SITE_KINDS[kinds[cid]].value, [0, 0.0])
            acc[0] += 1
            acc[1] += u - d
    for d, u, c in raw.platform:
        if c == "network":
            acc = out.setdefault("platform", [0, 0.0])
            acc[0] += 1
            acc[1] += u - d
    return out


# ----- tables ---------------------------------------------------------------------------------------
def _component_names(fleet: Fleet) -> list[str]:
    out = []
    kinds = fleet.comp_kind.tolist()
    sites = fleet.comp_site.tolist()
    h = 0
    prev = -1
    for s, k in zip(sites, kinds, strict=True):
        if s != prev:
            h, prev = 0, s
        kind = SITE_KINDS[k]
        if kind is Kind.handset:
            h += 1
            out.append(f"{fleet.sites[s]}/handset-{h:03d}")
        else:
            out.append(f"{fleet.sites[s]}/{kind.value}")
    return out


def _epochs(ctx: Context, minutes) -> np.ndarray:
    """Whole epoch seconds of simulation minutes (rounded to the nearest second)."""
    return ctx.origin + np.rint(np.asarray(minutes, dtype=float) * 60.0).astype(np.int64)


def _events_columns(ctx: Context, raw: RawRun, sw: Sweep) -> dict[str, Any]:
    """events.csv: platform and component down intervals, by down time (then component, then order)."""
    fleet = ctx.fleet
    n_p, n_c = len(raw.platform), len(raw.intervals)
    p_down, p_up, p_cause = (list(x) for x in zip(*raw.platform, strict=True)) if n_p else ([], [], [])
    cid, c_down, c_up, c_cause = (
        (list(x) for x in zip(*raw.intervals, strict=True)) if n_c else ([], [], [], [])
    )
    cid_a = np.array(cid, dtype=np.int64)
    down = np.array(p_down + c_down, dtype=float)
    order = np.lexsort(
        (
            np.concatenate([np.arange(n_p), np.arange(n_c)]),
            np.concatenate([np.full(n_p, -1, dtype=np.int64), cid_a]),
            down,
        )
    )
    site = fleet.comp_site[cid_a]
    lookup = ctx.lookups()

    def pick(platform: str, per_comp: np.ndarray) -> list[str]:
        return np.concatenate([np.full(n_p, platform, dtype=object), per_comp]).astype(object)[order].tolist()

    return {
        "component": pick("platform", lookup.component[cid_a]),
        "kind": pick("platform", lookup.kind[fleet.comp_kind[cid_a]]),
        "site": pick("", lookup.site[site]),
        "profile": pick("", lookup.profile[site]),
        "down_at": _epochs(ctx, down)[order],
        "up_at": _epochs(ctx, p_up + c_up)[order],
        "cause": np.array(p_cause + c_cause, dtype=object)[order].tolist(),
        "total_outage": np.concatenate([sw.platform_total, sw.comp_total]).astype(np.int8)[order],
    }


@dataclass(frozen=True)
class Lookups:
    """Texts of the fleet's sites and components as object arrays (picked by index array at once)."""

    site: np.ndarray
    profile: np.ndarray
    departement: np.ndarray
    component: np.ndarray
    kind: np.ndarray


@dataclass
class TicketTimes:
    """Epoch seconds of what every ticket records (NAT: none), as incidents.csv and the engine read it."""

    notified: np.ndarray
    restored: np.ndarray  # NAT: open
    pending_since: np.ndarray  # 002 §4: a request awaiting the customer's reply
    answered_at: np.ndarray
    diagnosed_at: np.ndarray  # the replaced equipment's diagnosis (001 §4, 002 §4)
    replaced_at: np.ndarray
    under_warranty: np.ndarray  # int8 1/0, -1: nothing replaced


def _epochs_or_nat(ctx: Context, minutes: np.ndarray) -> np.ndarray:
    """`_epochs`, NaN minutes as NAT."""
    none = np.isnan(minutes)
    out = _epochs(ctx, np.where(none, 0.0, minutes))
    out[none] = NAT
    return out


def ticket_times(ctx: Context, tks: Tickets) -> TicketTimes:
    """The tickets' times in whole epoch seconds, for the engine and the tables.

    A replacement is on the ticket once diagnosed and done by the end of the scenario. The repair runs on
    its own notification draw (common random numbers), so a diagnosis may come before the ticket opened:
    the record dates it at the ticket's opening (a ticket cannot record a diagnosis before it exists), and
    the replacement no earlier.
    """
    n = _epochs(ctx, tks.notified)
    horizon = ctx.horizon
    diag = np.where(tks.diagnosed > horizon, np.nan, tks.diagnosed)
    repl = np.where(np.isnan(diag) | (tks.replaced > horizon), np.nan, tks.replaced)
    d = first_after(_epochs_or_nat(ctx, diag), n)
    return TicketTimes(
        n,
        _epochs_or_nat(ctx, tks.restored),
        _epochs_or_nat(ctx, tks.pending_since),
        _epochs_or_nat(ctx, tks.answered_at),
        d,
        first_after(_epochs_or_nat(ctx, repl), d),
        np.where(np.isnan(repl), -1, tks.under_warranty).astype(np.int8),
    )


def _restorations_columns(ctx: Context, tks: Tickets, tt: TicketTimes, rest: Restorations):
    """restorations.csv: the restored tickets in ticket order, with their times and objective."""
    ks = np.flatnonzero(rest.restored)
    site = tks.site[ks]
    lookup = ctx.lookups()
    return {
        "ticket": [tks.ticket[k] for k in ks.tolist()],
        "site": lookup.site[site].tolist(),
        "profile": lookup.profile[site].tolist(),
        "cause": tks.cause[ks].tolist(),
        "kind": tks.kind[ks].tolist(),
        "notified_at": tt.notified[ks],
        "restored_at": tt.restored[ks],
        "business_minutes": rest.business[ks],
        "wallclock_minutes": rest.wallclock[ks],
        "objective_minutes": rest.objective[ks],
        "within_objective": rest.within[ks],
    }


def _incidents_columns(ctx: Context, tks: Tickets, tt: TicketTimes) -> dict[str, Any]:
    """incidents.csv: every ticket, in the SLA engine's input format."""
    site = tks.site
    lookup = ctx.lookups()
    return {
        "ticket": tks.ticket,
        "site": lookup.site[site].tolist(),
        "notified_at": tt.notified,
        "restored_at": tt.restored,
        "cause": tks.cause.tolist(),
        "profile": lookup.profile[site].tolist(),
        "departement": lookup.departement[site].tolist(),
        "detected_by": np.where(tks.provider, "provider", "customer").astype(object).tolist(),
        "pending_since": tt.pending_since,
        "answered_at": tt.answered_at,
        "diagnosed_at": tt.diagnosed_at,
        "replaced_at": tt.replaced_at,
        "under_warranty": tt.under_warranty,
    }


def _billing_columns(ctx: Context, bills: Bills) -> dict[str, Any]:
    lookup = ctx.lookups()
    texts = {m: Month(m).text for m in np.unique(bills.month).tolist()}
    return {
        "site": lookup.site[bills.site].tolist(),
        "month": [texts[m] for m in bills.month.tolist()],
        "recurring_fees": bills.recurring_cents,
        "usage_charges": bills.usage_cents,
        "departement": lookup.departement[bills.site].tolist(),
        "profile": lookup.profile[bills.site].tolist(),
    }


def _installs_columns(installs: dict[int, Install]) -> dict[str, Any]:
    xs = [x for _, x in sorted(installs.items())]
    return {
        "site": [x.site for x in xs],
        "handsets": [x.handsets for x in xs],
        "indicative_date": [x.indicative_date for x in xs],
        "service_start": [x.service_start for x in xs],
        "customer_caused": np.array([x.customer_caused for x in xs], dtype=np.int8),
        "appointments": [x.appointments for x in xs],
        "profile": [x.profile for x in xs],
        "outcome": [x.outcome.value for x in xs],
        "reservations": np.array([x.reservations for x in xs], dtype=np.int8),
        "signed_at": [x.signed for x in xs],
    }


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


def _porting_columns(ports: list[Port]) -> dict[str, Any]:
    return {
        "site": [p.site for p in ports],
        "mandate": [p.mandate for p in ports],
        "submitted_at": [p.submitted_at for p in ports],
        "outcome": [p.outcome.value for p in ports],
        "reason": [p.reason for p in ports],
        "ported_at": [p.ported_at for p in ports],
    }


def _site_profiles(ctx: Context) -> list[str]:
    n = ctx.__dict__.get("_profiles")
    if n is None:
        n = [ctx.fleet.profile(i) for i in range(len(ctx.fleet))]
        ctx.__dict__["_profiles"] = n
    return n


def _site_topologies(ctx: Context) -> list[str]:
    n = ctx.__dict__.get("_topologies")
    if n is None:
        n = [ctx.fleet.topology(i) for i in range(len(ctx.fleet))]
        ctx.__dict__["_topologies"] = n
    return n
