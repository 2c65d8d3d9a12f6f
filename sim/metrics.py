"""The summary metrics of one replication: availability, credits, objectives, lifecycle counts."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from contracts.choices import Cause
from contracts.money import money
from contracts.objectives import check_objectives
from contracts.records import NAT, Incidents
from sim.choices import SITE_KINDS, InstallOutcome, LifeEvent
from sim.context import Context, as_of_epoch, site_profiles, site_topologies
from sim.model import RawRun
from sim.outages import Sweep, Tickets
from sim.tables import LifeRow, TicketTimes, epochs
from sim.ticketing import Replacements, replacement_incidents, within_share


def replacement_share(ctx: Context, reps: Replacements) -> dict[str, float | None]:
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
            lambda m: epochs(ctx, m),
        )
        out[name] = within_share(check_objectives(ctx.profiles[name], inc).replacement_status)
    return out


def non_response_counts(
    ctx: Context, tt: TicketTimes, incs: dict[str, tuple[np.ndarray, Incidents]], ends: dict[str, np.ndarray]
) -> dict[str, int]:
    """Per profile: tickets the engine deemed resolved because the customer did not answer (002 §4)."""
    as_of = as_of_epoch(ctx)
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


def restoration_times(
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


def replication_metrics(
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
    prof_of = site_profiles(ctx)
    topo_of = site_topologies(ctx)
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
        "replacement_within_objective": replacement_share(ctx, reps),
        "tickets_provider_detected": {p: int((detected & (ticket_prof == p)).sum()) for p in names},
        "non_responses": None if non_responses is None else non_responses,
        "outages": {p: count[p] for p in names},
        "tickets": len(tks),
        "installs_in_service": len(done),
        "installs_terminated": sum(1 for x in installs.values() if x.outcome is InstallOutcome.terminated),
        "down_minutes_by_kind": down_by_kind(ctx, raw),
        **lifecycle_metrics(names, life),
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


def lifecycle_metrics(names: list[str], life: list[LifeRow]) -> dict[str, dict[str, float]]:
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


def down_by_kind(ctx: Context, raw: RawRun) -> dict[str, list[float]]:
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
