"""One replication, end to end: installs → SimPy model → outages → tickets → bills → the SLA engine.

Runs in a worker process (multiprocessing or Dask), so it returns plain data: CSV text chunks already
sorted with a total order, and the metrics of the summary. Its random streams come from the scenario
seed and the replication index only (numpy SeedSequence), so the result does not depend on which worker
ran it or in what order.
"""

from __future__ import annotations

import csv
import io
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np

from contracts.calendar import local_epoch
from contracts.choices import CAUSES
from contracts.money import money
from contracts.month import Month
from contracts.profile import Profile, load_profile
from contracts.records import NAT, BillingRow, Incidents, InstallRow
from contracts.sla import compute
from sim.billing import Bill, end_date, site_bills
from sim.choices import SITE_KINDS, InstallOutcome, Kind, RepairWindow
from sim.clock import BusinessClock
from sim.fleet import Fleet, build_fleet
from sim.installs import Install, service_start_minute, simulate_install
from sim.model import FleetModel, RawRun, duration_sampler
from sim.outages import Sweep, Ticket, sweep, tickets
from sim.porting import Port, simulate_port
from sim.scenario import Scenario
from sim.timefmt import iso_paris

STREAMS = ("installs", "first_failures", "dynamics", "notification", "porting", "billing")
CSV_EOL = "\n"
_CAUSE_CODE = {c: i for i, c in enumerate(CAUSES)}


def replication_rngs(seed: int, index: int) -> dict[str, np.random.Generator]:
    """Independent generators of replication `index` (child `index` of SeedSequence(seed), whatever N)."""
    children = np.random.SeedSequence(seed, spawn_key=(index,)).spawn(len(STREAMS))
    return {name: np.random.default_rng(ss) for name, ss in zip(STREAMS, children, strict=True)}


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
    """What a replication sends back."""

    index: int
    metrics: dict[str, Any]
    events_csv: str
    restorations_csv: str
    sim_events: int
    sim_seconds: float
    cpu_seconds: float = 0.0  # CPU time of the whole replication in its worker (benchmarks)
    # replication 0 only
    incidents_csv: str = ""
    billing_csv: str = ""
    installs_csv: str = ""
    porting_csv: str = ""
    statements: dict[str, list[dict]] = field(default_factory=dict)


def run_replication(s: Scenario, index: int, seed: int, *, full: bool = True) -> Result:
    """Run replication `index` of scenario `s` with base `seed`.

    Replication 0 also returns the files written for one replication (incidents, billing, installs,
    porting, statements). `full=False` keeps only the ground-truth metrics: no SLA engine, no CSV.
    """
    cpu0 = time.process_time()
    ctx = context(s)
    fleet = ctx.fleet
    rngs = replication_rngs(seed, index)

    installs = _installs(ctx, rngs["installs"])
    active = np.zeros(len(fleet))
    start_day: list[date | None] = [s.start] * len(fleet)
    for i, ins in installs.items():
        active[i] = service_start_minute(ins.service_start, ctx.origin)
        start_day[i] = ins.service_start
    active[active >= ctx.horizon] = np.inf

    t0 = time.perf_counter()
    raw = FleetModel(s, fleet, active, ctx.clocks, rngs["first_failures"], rngs["dynamics"]).run()
    sim_seconds = time.perf_counter() - t0
    sw = sweep(fleet, active, raw)
    tks = tickets(sw.outages, duration_sampler(rngs["notification"], s.notification), ctx.horizon, index)
    tt = ticket_times(ctx, tks)
    rest = _restoration_rows(ctx, tks, tt)
    if not full:
        metrics = _metrics(ctx, active, raw, sw, tks, rest, {}, installs)
        return Result(index, metrics, "", "", raw.events, sim_seconds, time.process_time() - cpu0)
    bills = _bills(ctx, rngs["billing"], start_day)
    statements = _statements(ctx, tks, tt, bills, installs)
    metrics = _metrics(ctx, active, raw, sw, tks, rest, statements, installs)
    res = Result(
        index,
        metrics,
        _events_csv(ctx, index, raw, sw),
        _restorations_csv(ctx, index, tks, tt, rest),
        raw.events,
        sim_seconds,
    )
    if index == 0:
        res.incidents_csv = _incidents_csv(ctx, tks, tt)
        res.billing_csv = _billing_csv(bills)
        res.installs_csv = _installs_csv(installs)
        res.porting_csv = _porting_csv(ctx, rngs["porting"], start_day)
        res.statements = statements
    res.cpu_seconds = time.process_time() - cpu0
    return res


# ----- lifecycle ------------------------------------------------------------------------------------
def _installs(ctx: Context, rng: np.random.Generator) -> dict[int, Install]:
    s, fleet = ctx.s, ctx.fleet
    out: dict[int, Install] = {}
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
            prof.calendar(g.departement),
            site=site,
            profile=g.profile,
            handsets=g.handsets,
            signed=signed,
            late_after_business_days=late,
        )
    return out


def _bills(ctx: Context, rng: np.random.Generator, start_day: list[date | None]) -> list[Bill]:
    fleet = ctx.fleet
    out: list[Bill] = []
    for i, site in enumerate(fleet.sites):
        d = start_day[i]
        if d is None or d >= ctx.end:
            continue
        g = fleet.groups[fleet.group[i]]
        out.extend(
            site_bills(
                rng,
                site=site,
                profile=g.profile,
                departement=g.departement,
                recurring=g.recurring_eur,
                usage_mean=g.usage_eur,
                service_start=d,
                end=ctx.end,
            )
        )
    return out


def _statements(
    ctx: Context, tks: list[Ticket], tt: TicketTimes, bills: list[Bill], installs: dict[int, Install]
):
    """The SLA engine's statement rows per profile (the engine does every contract computation)."""
    fleet = ctx.fleet
    as_of = ctx.origin + round(ctx.horizon * 60)
    out: dict[str, list[dict]] = {}
    site_prof = _site_profiles(ctx)
    for name, prof in ctx.profiles.items():
        ks = [k for k, t in enumerate(tks) if site_prof[t.site] == name]
        mine = [tks[k] for k in ks]
        inc = Incidents(
            file="<simulation>",
            ticket=[t.ticket for t in mine],
            site=[fleet.sites[t.site] for t in mine],
            notified=tt.notified[ks] if ks else np.zeros(0, dtype=np.int64),
            restored=tt.restored[ks] if ks else np.zeros(0, dtype=np.int64),
            cause=np.array([_CAUSE_CODE[t.cause] for t in mine], dtype=np.int8),
            line=np.arange(2, len(mine) + 2, dtype=np.int64),
        )
        billing = [
            BillingRow(b.site, Month.parse(b.month), b.recurring_fees, b.usage_charges, b.departement, k + 2)
            for k, b in enumerate(bills)
            if b.profile == name
        ]
        ins = [
            InstallRow(x.site, x.handsets, x.indicative_date, x.service_start, x.customer_caused, k + 2)
            for k, x in enumerate(installs.values())
            if x.profile == name and x.service_start is not None and x.service_start < ctx.end
        ]
        use_installs = ins if prof.install_delay is not None else None
        out[name] = compute(prof, inc, billing, use_installs, as_of).rows
    return out


# ----- metrics --------------------------------------------------------------------------------------
def _replacements(ctx: Context, raw: RawRun) -> dict[str, float | None]:
    """Per profile: share of equipment replacements done within the objective after diagnosis."""
    site_prof = _site_profiles(ctx)
    comp_site = ctx.fleet.comp_site
    done: dict[str, list[bool]] = defaultdict(list)
    for cid, diagnosed, replaced in raw.replacements:
        p = site_prof[int(comp_site[cid])]
        hours = ctx.profiles[p].sla_terms().objectives.replacement_hours
        if hours is not None:
            done[p].append(replaced - diagnosed <= hours * 60)
    return {p: (sum(done[p]) / len(done[p]) if done[p] else None) for p in sorted(ctx.profiles)}


def _restoration_rows(ctx: Context, tks: list[Ticket], tt: TicketTimes):
    """Per restored ticket: (ticket, business min, wallclock min, objective min, within) in ticket order."""
    fleet = ctx.fleet
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for k, t in enumerate(tks):
        if t.restored is not None:
            g = fleet.groups[fleet.group[t.site]]
            groups[(g.profile, g.departement)].append(k)
    rows: dict[int, tuple] = {}
    for (pname, dep), ks in groups.items():
        prof = ctx.profiles[pname]
        a, b = tt.notified[ks], tt.restored[ks]
        bus = prof.calendar(dep).business_seconds_array(a, b) / 60.0
        wall = (b - a) / 60.0
        target = prof.sla_terms().objectives.restoration  # 000 §5.4, 001 §4, 002 §4
        obj = None if target is None else target.minutes
        on_window = target is None or target.clock == "business"
        measured = bus if on_window else prof.clock_calendar(dep).business_seconds_array(a, b) / 60.0
        for j, k in enumerate(ks):
            within = None if obj is None else bool(measured[j] <= obj)
            rows[k] = (float(bus[j]), float(wall[j]), obj, within)
    return rows


def _metrics(
    ctx: Context,
    active: np.ndarray,
    raw: RawRun,
    sw: Sweep,
    tks: list[Ticket],
    rest: dict,
    statements,
    installs,
) -> dict:
    fleet, horizon = ctx.fleet, ctx.horizon
    prof_of = _site_profiles(ctx)
    topo_of = [fleet.topology(i) for i in range(len(fleet))]
    up_min: dict[str, float] = defaultdict(float)
    topo_min: dict[str, float] = defaultdict(float)
    for i in range(len(fleet)):
        if active[i] < horizon:
            up_min[prof_of[i]] += horizon - active[i]
            topo_min[topo_of[i]] += horizon - active[i]
    down: dict[str, float] = defaultdict(float)
    tdown: dict[str, float] = defaultdict(float)
    count: dict[str, int] = defaultdict(int)
    for o in sw.outages:
        d = max(0.0, min(o.end, horizon) - o.start)  # up to the end of the scenario
        down[prof_of[o.site]] += d
        tdown[topo_of[o.site]] += d
        count[prof_of[o.site]] += 1
    names = sorted(ctx.profiles)
    avail = {p: (float(100.0 * (1 - down[p] / up_min[p])) if up_min[p] else None) for p in names}
    tavail = {t: float(100.0 * (1 - tdown[t] / topo_min[t])) for t in sorted(topo_min)}
    within: dict[str, list[bool]] = defaultdict(list)
    for k, r in rest.items():
        if r[3] is not None and tks[k].cause != "maintenance":
            within[prof_of[tks[k].site]].append(r[3])
    owed, claimed, inst = {}, {}, Decimal(0)
    for p in names:
        rows = statements.get(p, [])
        total = sum((Decimal(str(r["credit_eur"])) for r in rows), Decimal(0))
        inst += sum((Decimal(str(r.get("install_credit_eur", 0))) for r in rows), Decimal(0))
        owed[p] = float(money(total))
        rate = Decimal(str(ctx.profiles[p].choices.get("claim_rate", 1.0)))
        claimed[p] = float(money(total * rate))  # §14 claim_rate: credits are paid only on request
    done = [x for x in installs.values() if x.outcome is InstallOutcome.in_service]
    return {
        "availability": avail,
        "availability_by_topology": tavail,
        "credits_owed_eur": owed,
        "credits_claimed_eur": claimed,
        "restoration_within_objective": {
            p: (sum(within[p]) / len(within[p]) if within[p] else None) for p in names
        },
        "install_credits_eur": float(money(inst)),
        "replacement_within_objective": _replacements(ctx, raw),
        "outages": {p: count[p] for p in names},
        "tickets": len(tks),
        "installs_in_service": len(done),
        "installs_terminated": sum(1 for x in installs.values() if x.outcome is InstallOutcome.terminated),
        "down_minutes_by_kind": _down_by_kind(ctx, raw),
    }


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


# ----- CSV ------------------------------------------------------------------------------------------
def _csv(rows) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=CSV_EOL)
    w.writerows(rows)
    return buf.getvalue()


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
    """Whole epoch seconds of simulation minutes (rounded half to even)."""
    return ctx.origin + np.rint(np.asarray(minutes, dtype=float) * 60.0).astype(np.int64)


def _events_csv(ctx: Context, index: int, raw: RawRun, sw: Sweep) -> str:
    fleet = ctx.fleet
    names = _names(ctx)
    site_prof = _site_profiles(ctx)
    n_p = len(raw.platform)
    downs = [d for d, _u, _c in raw.platform] + [d for _cid, d, _u, _c in raw.intervals]
    ups = [u for _d, u, _c in raw.platform] + [u for _cid, _d, u, _c in raw.intervals]
    down_iso, up_iso = iso_paris(_epochs(ctx, downs)), iso_paris(_epochs(ctx, ups))
    rows = []
    for j, (d, _u, c) in enumerate(raw.platform):
        rows.append(
            (
                d,
                -1,
                j,
                (index, "platform", "platform", "", "", down_iso[j], up_iso[j], c, int(sw.platform_total[j])),
            )
        )
    kinds = [k.value for k in SITE_KINDS]
    comp_site, comp_kind = fleet.comp_site, fleet.comp_kind
    for i, (cid, d, _u, c) in enumerate(raw.intervals):
        st = int(comp_site[cid])
        rows.append(
            (
                d,
                cid,
                i,
                (
                    index,
                    names[cid],
                    kinds[comp_kind[cid]],
                    fleet.sites[st],
                    site_prof[st],
                    down_iso[n_p + i],
                    up_iso[n_p + i],
                    c,
                    int(sw.comp_total[i]),
                ),
            )
        )
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    return _csv(r[3] for r in rows)


def _names(ctx: Context) -> list[str]:
    n = ctx.__dict__.get("_names")
    if n is None:
        n = _component_names(ctx.fleet)
        ctx.__dict__["_names"] = n
    return n


def _site_profiles(ctx: Context) -> list[str]:
    n = ctx.__dict__.get("_profiles")
    if n is None:
        n = [ctx.fleet.profile(i) for i in range(len(ctx.fleet))]
        ctx.__dict__["_profiles"] = n
    return n


@dataclass
class TicketTimes:
    """Epoch seconds and ISO texts of every ticket's notification and restoration (open: NAT / "")."""

    notified: np.ndarray
    restored: np.ndarray
    notified_iso: list[str]
    restored_iso: list[str]


def ticket_times(ctx: Context, tks: list[Ticket]) -> TicketTimes:
    """Format the tickets' times once for the engine, incidents.csv and restorations.csv."""
    n = _epochs(ctx, [t.notified for t in tks])
    is_open = np.array([t.restored is None for t in tks], dtype=bool)
    r = _epochs(ctx, [t.notified if t.restored is None else t.restored for t in tks])
    r[is_open] = NAT
    r_iso = iso_paris(np.where(is_open, n, r))
    return TicketTimes(
        n, r, iso_paris(n), ["" if o else x for x, o in zip(r_iso, is_open.tolist(), strict=True)]
    )


def _restorations_csv(ctx: Context, index: int, tks: list[Ticket], tt: TicketTimes, rest: dict) -> str:
    fleet = ctx.fleet
    site_prof = _site_profiles(ctx)
    rows = []
    for k, t in enumerate(tks):
        if k not in rest:
            continue
        bus, wall, obj, within = rest[k]
        rows.append(
            (
                index,
                t.ticket,
                fleet.sites[t.site],
                site_prof[t.site],
                t.cause,
                t.outage.kind,
                tt.notified_iso[k],
                tt.restored_iso[k],
                _num(bus),
                _num(wall),
                "" if obj is None else _num(obj),
                "" if within is None else int(within),
            )
        )
    return _csv(rows)


def _num(x: float) -> str:
    return f"{x:.2f}"


def _incidents_csv(ctx: Context, tks: list[Ticket], tt: TicketTimes) -> str:
    fleet = ctx.fleet
    site_prof = _site_profiles(ctx)
    deps = [g.departement for g in fleet.groups]
    return _csv(
        (
            t.ticket,
            fleet.sites[t.site],
            tt.notified_iso[k],
            tt.restored_iso[k],
            t.cause,
            site_prof[t.site],
            deps[fleet.group[t.site]],
        )
        for k, t in enumerate(tks)
    )


def _billing_csv(bills: list[Bill]) -> str:
    return _csv((b.site, b.month, b.recurring_fees, b.usage_charges, b.departement, b.profile) for b in bills)


def _installs_csv(installs: dict[int, Install]) -> str:
    return _csv(
        (
            x.site,
            x.handsets,
            x.indicative_date.isoformat(),
            "" if x.service_start is None else x.service_start.isoformat(),
            int(x.customer_caused),
            x.appointments,
            x.profile,
            x.outcome.value,
            int(x.reservations),
            x.signed.isoformat(),
        )
        for _, x in sorted(installs.items())
    )


def _porting_csv(ctx: Context, rng: np.random.Generator, start_day: list[date | None]) -> str:
    s, fleet = ctx.s, ctx.fleet
    if s.porting is None:
        return ""
    rows = []
    for i, site in enumerate(fleet.sites):
        g = fleet.groups[fleet.group[i]]
        d = start_day[i]
        if not g.porting or d is None or d >= ctx.end:
            continue
        cal = ctx.profiles[g.profile].calendar(g.departement)
        p: Port = simulate_port(rng, s.porting, cal.add_business_days, site=site, service_start=d)
        if p.submitted_at >= ctx.end:
            continue
        ported = p.ported_at.isoformat() if p.ported_at is not None and p.ported_at < ctx.end else ""
        rows.append((p.site, p.mandate, p.submitted_at.isoformat(), p.outcome.value, p.reason, ported))
    return _csv(rows)
