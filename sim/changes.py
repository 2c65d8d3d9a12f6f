"""Moves and terminations of the fleet's sites: when they happen, what they cost, what they end.

A site moves or is terminated at most once in a run. Draws are made for every site at once, whatever the
rates (a rate of 0 gives an infinite time), so changing one profile's rate moves no other site's draw.

- Termination (000 §6, 001 §5, 002 §5, 003 §3): effective on its day (the first day without service);
  the fee is `contracts.billing.early_termination_fee`'s, the one `centrex bill etf` prints, with the
  site's handsets and ALLEO's link fees (`contracts.fees`). Before service start ALLEO owes the link fees
  only (000 §6.4); a profile whose clause is silent there gives no fee and the clause in the table.
- Move of an ALLEO site (000 §3.5): a ticket of cause `move` over the estimated interruption window (not
  counted), new initial fees, the numbers kept or not (`moves.numbers`, 000 §2.3).
- Move under another profile: its seed has no move clause, so it is a termination on that day followed by
  a new order at the new address (docs/CONTRACT-READINGS.md). The new order's site is a new site of the
  inventory (`sim.lifecycle`); the simulated fleet stays the scenario's, so it has no failures or bills.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import date, timedelta
from decimal import Decimal

import numpy as np

from contracts.billing import early_termination_fee
from contracts.calendar import local_epoch
from contracts.choices import Cause
from contracts.errors import InputError
from contracts.fees import fees_of
from contracts.money import money
from contracts.month import Month
from contracts.profile import Profile
from contracts.zones import ZONE_OF_DEPARTEMENT
from sim.billing import Bills
from sim.choices import DurationLaw, LifeEvent, MoveNumbers
from sim.fleet import Fleet
from sim.model import RawRun
from sim.outages import Sweep, Tickets
from sim.scenario import NumberZone, Scenario

NO_MOVE_CLAUSE = "{profile}: its seed has no move clause: a termination and a new order"
NOT_IN_SERVICE = "not in service on that day: no move (000 §3.5 moves a Service in service)"
NOT_ORDERED = "not yet ordered on that day: no contract to terminate"
MOVE_MINUTE = 8 * 60  # a move's interruption window opens at 08:00 local time on its day
DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class Change:
    """A move or a termination of fleet site `site` on day `on`.

    A move carries its destination `departement`, whether the site keeps its numbers and, under ALLEO,
    its interruption window (`window_minutes`, from 08:00 of `on`). `until` is the day the site leaves
    the simulated service (a termination, or a move under a profile without a move clause), else None.
    """

    site: int
    event: LifeEvent
    on: date
    departement: str | None = None
    keeps_numbers: bool | None = None
    window_minutes: float = 0.0
    until: date | None = None
    note: str = ""  # why a listed move did not happen (then nothing else of the move applies)


@dataclass(frozen=True)
class Charge:
    """What a lifecycle event bills: `fee_eur` None when nothing is computed (the clause says why)."""

    billed: bool
    fee_eur: Decimal | None
    clause: str


def _times(rng: np.random.Generator, rates: np.ndarray) -> np.ndarray:
    """Days from the scenario's start to each site's first event of a Poisson process (inf at rate 0)."""
    e = rng.standard_exponential(len(rates))
    with np.errstate(divide="ignore"):
        return np.where(rates > 0, e * DAYS_PER_YEAR / np.where(rates > 0, rates, 1.0), np.inf)


def _rates(fleet: Fleet, per_profile: dict[str, float]) -> np.ndarray:
    by_group = np.array([per_profile.get(g.profile, 0.0) for g in fleet.groups], dtype=float)
    return by_group[fleet.group] if len(fleet) else np.zeros(0)


def draw_changes(
    s: Scenario,
    fleet: Fleet,
    rng: np.random.Generator,
    service_start: list[date | None],
    end: date,
    ordered: list[date],
    movable: frozenset[str],
) -> list[Change]:
    """The moves and terminations of a replication, by site, then day (at most one of each per site).

    A drawn move falls after the site's service start (an order not yet installed is not moved); a
    drawn termination runs from the order's signature (`ordered`: the scenario's start for sites in
    service from it) and may fall before the service start (000 §6.4). A listed event replaces the
    site's drawn one; one the site cannot have (a move out of service, a termination before the order)
    is kept with a `note`.
    `movable`: the profiles with a move clause (`has_move_clause`); under the others a move is a
    termination and a new order.
    """
    n = len(fleet)
    index = {name: i for i, name in enumerate(fleet.sites)}
    mv, tm = s.moves, s.terminations
    # every draw is made whatever the rates, in a fixed order (common random numbers)
    t_move = _times(rng, _rates(fleet, mv.rate_per_year if mv else {}))
    dest_u = rng.random(n)
    window_e = rng.standard_exponential(n)
    t_term = _times(rng, _rates(fleet, tm.rate_per_year if tm else {}))
    moves: dict[int, tuple[date, str | None]] = {}
    terms: dict[int, date] = {}
    horizon = (end - s.start).days
    for i in np.flatnonzero(t_move < horizon).tolist():
        d = s.start + timedelta(days=int(t_move[i]))
        start = service_start[i]
        if start is not None and start <= d:
            moves[i] = (d, None)
    for i in np.flatnonzero(t_term < horizon).tolist():
        d = ordered[i] + timedelta(days=int(t_term[i]))
        if d < end:
            terms[i] = d
    listed = set()
    for ev in mv.events if mv else []:
        moves[index[ev.site]] = (ev.day, ev.departement)
        listed.add(index[ev.site])
    for ev in tm.events if tm else []:
        terms[index[ev.site]] = ev.day
    out: list[Change] = []
    for i in sorted(set(moves) | set(terms)):
        g = fleet.groups[fleet.group[i]]
        term = terms.get(i)
        if term is not None and term < ordered[i]:  # only a listed one can: drawn ones start at order
            out.append(Change(i, LifeEvent.termination, term, note=NOT_ORDERED))
            term = None
        move = moves.get(i)
        start = service_start[i]
        if move is not None and (start is None or move[0] < start or (term is not None and move[0] >= term)):
            if i in listed:  # a listed move the site cannot make: said in lifecycle.csv, never dropped
                out.append(Change(i, LifeEvent.move, move[0], move[1], note=NOT_IN_SERVICE))
            move = None
        if move is not None:
            d, dep = move
            if dep is None:
                deps = mv.departements or [g.departement]
                dep = deps[min(int(dest_u[i] * len(deps)), len(deps) - 1)]
            keeps = _keeps_numbers(mv.numbers, g.numbers, g.departement, dep)
            if g.profile in movable:
                mean = mv.interruption.mean_minutes
                w = mean if mv.interruption.law is DurationLaw.fixed else float(window_e[i]) * mean
                out.append(Change(i, LifeEvent.move, d, dep, keeps, w))
                if term is not None:
                    out.append(Change(i, LifeEvent.termination, term, until=term))
            else:
                # no move clause in the seed: a termination that day, then a new order (new numbers)
                out.append(Change(i, LifeEvent.termination, d, until=d))
                out.append(Change(i, LifeEvent.move, d, dep, False, until=d))
        elif term is not None:
            out.append(Change(i, LifeEvent.termination, term, until=term))
    return out


def has_move_clause(profile: Profile) -> bool:
    """A profile has a move clause when it bills a move's new initial fees (ALLEO 000 §3.5)."""
    return fees_of(profile).move_initial is not None


def _keeps_numbers(choice: MoveNumbers, numbers: NumberZone, old: str, new: str) -> bool:
    """000 §2.3 « Le Client en perdra l'usage notamment dans certains cas de déménagement »: under
    `keep_in_zone` a site keeps its numbers when it stays in their zone (09 numbers have no zone)."""
    if choice is MoveNumbers.new_block:
        return False
    if numbers is NumberZone.non_geographic:
        return True
    return ZONE_OF_DEPARTEMENT.get(old) == ZONE_OF_DEPARTEMENT.get(new)


def until_days(changes: list[Change], n: int) -> list[date | None]:
    """Per fleet site: the first day it is no longer in the simulated service (None: never)."""
    out: list[date | None] = [None] * n
    for c in changes:
        if c.until is not None:
            out[c.site] = c.until if out[c.site] is None else min(out[c.site], c.until)
    return out


def termination_charge(
    profile: Profile,
    *,
    service_start: date | None,
    on: date,
    monthly_fees: Decimal,
    handsets: int,
    fees_overrides: dict | None = None,
) -> Charge:
    """The early-termination fee of a whole site, from the function `centrex bill etf` uses (000 §6.2–6.4
    under ALLEO: months left, 90 € per handset, link fees even before service start)."""
    link = fees_of(profile, fees_overrides).link_fees
    try:
        fee = early_termination_fee(
            profile,
            service_start=service_start,
            terminate_on=on,
            monthly_fees=monthly_fees,
            handsets=handsets,
            link_fees=link.amount if link is not None else 0,
        )
    except InputError as exc:  # a clause silent before service start: no amount, the reason instead
        return Charge(False, None, exc.reason)
    clauses = "; ".join(dict.fromkeys(ln.clause for ln in fee.lines)) or "no fee line"
    return Charge(fee.fee_eur > 0, fee.fee_eur, clauses)


def move_charge(profile: Profile, fees_overrides: dict | None = None) -> Charge:
    """ALLEO's new initial fees of a move (000 §3.5), a « tarifs standards » amount of `contracts.fees`."""
    fee = fees_of(profile, fees_overrides).move_initial
    if fee is None:
        return Charge(False, None, NO_MOVE_CLAUSE.format(profile=profile.name))
    return Charge(True, fee.amount, fee.clause)


# ----- leaving service ------------------------------------------------------------------------------
def _take(obj, keep: np.ndarray, n: int, other: tuple[str, ...] = ()):
    """`obj` with its per-row fields (arrays or lists of length `n`) restricted to the rows `keep`;
    `other` names the fields that are not per row, whatever their length happens to be."""
    changes = {}
    for f in fields(obj):
        if f.name in other:
            continue
        v = getattr(obj, f.name)
        if isinstance(v, np.ndarray) and v.shape[:1] == (n,):
            changes[f.name] = v[keep]
        elif isinstance(v, list) and len(v) == n:
            changes[f.name] = [v[k] for k in keep.tolist()]
    return replace(obj, **changes)


def leave_service(fleet: Fleet, raw: RawRun, sw: Sweep, tks: Tickets, gone: np.ndarray):
    """Raw intervals, outages and tickets once sites leave service at minute `gone[site]`: nothing starts
    at or after it, and what is still down then ends with the service.

    Applied after every draw, so the other sites' failures, repairs and notification delays are those of
    the same run without changes (the crews still spent the time the model gave them)."""
    comp_site = fleet.comp_site
    iv = raw.intervals
    keep_iv = [k for k, (cid, down, _, _) in enumerate(iv) if down < gone[comp_site[cid]]]
    intervals = []
    for k in keep_iv:
        cid, down, up, cause = iv[k]
        intervals.append((cid, down, min(up, float(gone[comp_site[cid]])), cause))
    reps = [r for r in raw.replacements if r[1] < gone[comp_site[r[0]]]]
    raw = replace(raw, intervals=intervals, replacements=reps)
    g = gone[sw.site] if len(sw) else np.zeros(0)
    keep = np.flatnonzero(sw.start < g)
    sw = _take(sw, keep, len(sw), other=("comp_total", "platform_total"))  # per interval, not per outage
    sw = replace(
        sw,
        end=np.minimum(sw.end, gone[sw.site]) if len(sw) else sw.end,
        comp_total=sw.comp_total[np.asarray(keep_iv, dtype=np.int64)],
    )
    g = gone[tks.site] if len(tks) else np.zeros(0)
    tks = _take(tks, np.flatnonzero(tks.notified < g), len(tks))
    if len(tks):
        g = gone[tks.site]
        late = np.isfinite(g) & (np.isnan(tks.restored) | (tks.restored > g))
        tks = replace(tks, restored=np.where(late, g, tks.restored))
    return raw, sw, tks


def _blank(v, k: int):
    """`k` rows of nothing for a ticket field the move tickets do not set."""
    if isinstance(v, list):
        return [None] * k
    if v.dtype.kind == "f":
        return np.full(k, np.nan)
    if v.dtype.kind == "b":
        return np.zeros(k, dtype=bool)
    if v.dtype.kind in "iu":
        return np.full(k, -1, dtype=v.dtype)
    return np.full(k, None, dtype=object)


def with_move_tickets(
    tks: Tickets, changes: list[Change], origin: int, horizon: float, index: int
) -> Tickets:
    """`tks` and, after them, one ticket per ALLEO move over its estimated interruption window (cause
    `move`, not counted: 000 §3.5), opened by the provider at the window's start."""
    moves = [
        c
        for c in changes
        if c.event is LifeEvent.move and c.until is None and c.window_minutes > 0 and not c.note
    ]
    if not moves:
        return tks
    start = np.array([(local_epoch(c.on, MOVE_MINUTE) - origin) / 60.0 for c in moves])
    end = start + np.array([c.window_minutes for c in moves])
    keep = np.flatnonzero(start < horizon)
    k = len(keep)
    new = {
        "ticket": [f"R{index:03d}-M{j:05d}" for j in range(1, k + 1)],
        "site": np.array([moves[j].site for j in keep.tolist()], dtype=np.int64),
        "notified": start[keep],
        "restored": np.where(end[keep] <= horizon, end[keep], np.nan),
        "cause": np.full(k, Cause.move.value, dtype=object),
        "kind": np.full(k, "move", dtype=object),
    }
    out = {}
    for f in fields(tks):
        v = getattr(tks, f.name)
        add = new.get(f.name)
        if add is None:
            add = _blank(v, k)
        out[f.name] = (
            v + list(add) if isinstance(v, list) else np.concatenate([v, np.asarray(add, dtype=v.dtype)])
        )
    return replace(tks, **out)


def stop_bills(
    bills: Bills, until: list[date | None], start_day: list[date | None], recurring: list[Decimal]
) -> Bills:
    """Bills without the months after a site leaves service; its last month pro rata temporis of the days
    it was in service (000 §7.1, as the first month): `recurring[site]` × days / days of the month, the
    usage in the same share of the month's billed part."""
    gone = [i for i, u in enumerate(until) if u is not None]
    last = np.full(len(until), np.iinfo(np.int64).max, dtype=np.int64)
    last[gone] = [Month.containing(until[i] - timedelta(days=1)) for i in gone]
    keep = np.flatnonzero(bills.month <= last[bills.site])
    fee, use = bills.recurring_cents[keep].copy(), bills.usage_cents[keep].copy()
    site, month = bills.site[keep], bills.month[keep]
    for k in np.flatnonzero(month == last[site]).tolist():  # the last month of a site that leaves
        i = int(site[k])
        u, s = until[i], start_day[i]
        if u.day == 1:
            continue  # it left on the 1st: its last month is the whole previous one
        ndays = Month(int(month[k])).days
        first = s.day if s is not None and Month.containing(s) == month[k] else 1
        fee[k] = int(money(recurring[i] * Decimal(u.day - first) / Decimal(ndays)).scaleb(2))
        share = Decimal(u.day - first) / Decimal(ndays - first + 1)
        use[k] = int(money(Decimal(int(use[k])).scaleb(-2) * share).scaleb(2))
    return Bills(site, month, fee, use)
