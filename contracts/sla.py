"""Tickets → per site-month downtime → availability → credit tier → 30-day cap → statement rows.

The heavy part (cause filter, overlap merge, month split, business seconds) is numpy over all incidents;
the per site-month part (exact tier comparison in integers, Decimal money, cap) is plain Python over the
billing rows. Times are int64 epoch seconds; downtime is kept in whole seconds so tier comparisons are
exact (§13: no float rounding before comparing).
"""

from __future__ import annotations

import gc
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from contracts.calendar import epoch_to_iso, epoch_to_local_date, local_epoch, to_epoch
from contracts.cap import Credit, apply_cap
from contracts.choices import CreditKind, SlaKind
from contracts.money import ZERO, money
from contracts.month import Month
from contracts.profile import Profile
from contracts.records import (
    NAT,
    BillingRow,
    Incidents,
    InstallRow,
    read_billing,
    read_incidents,
    read_installs,
)
from contracts.terms import AvailabilityTier, SlaTerms

# Members read once: an enum attribute costs more than the comparison in the per-row loops.
_AVAILABILITY, _PER_INCIDENT = SlaKind.availability, SlaKind.per_incident
_GTR, _INSTALL = CreditKind.gtr, CreditKind.install
_BIG = np.int64(1) << np.int64(36)  # > any span of epoch seconds we meet (~2,177 years)


@dataclass
class SiteMonth:
    """Everything the statement of one (site, month) rests on — kept for `sla explain`."""

    site: str
    month: int
    billing: BillingRow
    alsace_moselle: bool
    down_s: int = 0
    den_s: int = 0
    measured: bool = False  # the profile measures availability and the period is not empty
    pct: Decimal = ZERO
    usage_months: list[tuple[str, Decimal]] = field(default_factory=list)
    base: Decimal = ZERO
    amount: Decimal = ZERO  # the availability credit before the cap
    credits: list[Credit] = field(default_factory=list)
    incidents: list[dict] = field(default_factory=list)  # ProgetCom
    open: bool = False
    tier_row: str = ""

    @property
    def availability(self) -> Fraction | None:
        """Exact availability ratio (None where the profile has no availability measure)."""
        return Fraction(self.den_s - self.down_s, self.den_s) if self.measured else None

    @property
    def granted(self) -> Decimal:
        return sum((c.granted for c in self.credits), ZERO)

    @property
    def lost(self) -> Decimal:
        return sum((c.lost for c in self.credits), ZERO)


@dataclass
class SlaResult:
    """Statement rows (exactly the JSON of `centrex sla compute`), warnings and the derivation data."""

    profile: Profile
    rows: list[dict]
    warnings: list[str]
    site_months: dict[tuple[str, int], SiteMonth]
    as_of: int
    effective_end: np.ndarray | None = None  # per incident: restoration used (epoch s)


def _month_starts(lo: Month, hi: Month) -> np.ndarray:
    """First instants of the months lo … hi and of the month after (the bounds of each month)."""
    return np.array([Month(k).first_instant for k in lo.through(hi.shift(1))], dtype=np.int64)


def default_as_of(billing: list[BillingRow]) -> int:
    """The end of the last month of the billing file (CONTRACTS §3)."""
    return Month(max(b.month for b in billing)).end_instant if billing else 0


def _tier_index(tiers: tuple[AvailabilityTier, ...], up_s: np.ndarray, den_s: np.ndarray) -> np.ndarray:
    """Index of the first tier row each availability reaches, exact in int64 (the tiers' integer form)."""
    out = np.full(len(up_s), len(tiers) - 1, dtype=np.int64)
    done = den_s <= 0
    for k, t in enumerate(tiers):
        if t.num < 0:
            hit = ~done
        else:
            lhs, rhs = up_s * t.den100, t.num * den_s  # ≤ ~3e6 s × 400 and 1e4 × 3e6: far inside int64
            hit = (~done) & ((lhs >= rhs) if t.inclusive else (lhs > rhs))
        out[hit] = k
        done |= hit
    return out


def _gtr_pct(terms: SlaTerms, secs: np.ndarray) -> np.ndarray:
    """ProgetCom GTR tier per incident (002 §4): first row whose min_hours the restoration time reaches."""
    pct = np.zeros(len(secs), dtype=np.float64)
    done = np.zeros(len(secs), dtype=bool)
    for t in terms.gtr_tiers:
        if t.min_s is None:
            hit = ~done
        else:
            hit = (~done) & ((secs >= t.min_s) if t.inclusive else (secs > t.min_s))
        pct[hit] = t.pct
        done |= hit
    cap = terms.gtr_max_pct
    return np.minimum(pct, cap) if cap is not None else pct  # 002 §4 « jamais au-delà de 20 % »


def _usage_base(terms: SlaTerms, bill: dict[tuple[str, int], BillingRow], site: str, month: int):
    """Mean usage charges of the 3 calendar months before `month` (§13; `usage_mean` choice)."""
    prev = [(m.text, bill[(site, m)].usage) for m in Month(month).previous(3) if (site, m) in bill]
    if not prev:
        return prev, ZERO
    total = sum((u for _, u in prev), ZERO)
    if terms.usage_mean == "three":
        return prev, total / 3
    return prev, total / len(prev)


@contextmanager
def paused_gc():
    """Pause the cyclic garbage collector: building ~10^5 small objects next to ~10^6 live ones otherwise
    triggers repeated full collections that cost more than the work itself (nothing here makes cycles)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def compute(
    profile: Profile,
    incidents: Incidents,
    billing: list[BillingRow],
    installs: list[InstallRow] | None = None,
    as_of: datetime | int | None = None,
) -> SlaResult:
    """Compute the statement of every (site, month) of the billing data under `profile`."""
    with paused_gc():
        return _compute(profile, incidents, billing, installs, as_of)


def _compute(
    profile: Profile,
    incidents: Incidents,
    billing: list[BillingRow],
    installs: list[InstallRow] | None,
    as_of: datetime | int | None,
) -> SlaResult:
    """The stages in order: sites, counted spans, downtime, credits, the cap, the rows."""
    terms = profile.sla_terms()
    warnings: list[str] = []
    bill = {(b.site, b.month): b for b in billing}
    as_of_s = _as_of_seconds(incidents, billing, as_of)
    fleet = _Sites.of(profile, incidents, billing, installs)
    start, end, is_open = _counted_spans(terms, incidents, as_of_s)
    sm: dict[tuple[str, int], SiteMonth] = {}
    for b in billing:
        sm[(b.site, b.month)] = SiteMonth(b.site, b.month, b, fleet.alsace_list[fleet.index[b.site]])
    down, open_months = _downtime(profile, terms, incidents, fleet, start, end, is_open, sm)
    warnings += _absent_months(down, bill)
    _month_lines(profile, terms, sm, bill, down, open_months)
    warnings += _install_credits(profile, installs, fleet.dep, sm)
    _cap(profile, terms, sm)
    rows = [_row(profile, terms, sm[k]) for k in sorted(sm)]
    return SlaResult(profile, rows, warnings, sm, as_of_s, end)


def _as_of_seconds(incidents: Incidents, billing: list[BillingRow], as_of: datetime | int | None) -> int:
    """The instant open incidents are counted up to: `--as-of`, else the end of the billing file."""
    if as_of is None:
        return default_as_of(billing) if billing else int(incidents.notified.max(initial=0))
    return int(as_of) if isinstance(as_of, int) else int(to_epoch(as_of))


@dataclass
class _Sites:
    """Every site of the inputs, its index, département and Alsace-Moselle calendar flag."""

    names: list[str]
    index: dict[str, int]
    dep: dict[str, str | None]
    alsace_list: list[bool]
    alsace: np.ndarray

    @classmethod
    def of(
        cls,
        profile: Profile,
        incidents: Incidents,
        billing: list[BillingRow],
        installs: list[InstallRow] | None,
    ) -> _Sites:
        dep: dict[str, str | None] = {}
        for b in billing:
            if b.departement and not dep.get(b.site):
                dep[b.site] = b.departement
        if incidents.departement is not None:
            for s, d in zip(incidents.site, incidents.departement, strict=True):
                if d and not dep.get(s):
                    dep[s] = d
        names = sorted(set(incidents.site) | {b.site for b in billing} | {i.site for i in installs or []})
        alsace_list = [profile.is_alsace_moselle(dep.get(s)) for s in names]
        index = {s: i for i, s in enumerate(names)}
        return cls(names, index, dep, alsace_list, np.array(alsace_list, dtype=bool))


def deemed_restoration(terms: SlaTerms, incidents: Incidents, as_of_s: int | None = None) -> np.ndarray:
    """Per incident: the restoration the engine uses, `restored_at` or the 48-hour rule's (NAT = open);
    with `as_of_s`, an open ticket is deemed resolved only before it."""
    end = incidents.restored
    upto = end if as_of_s is None else np.where(end == NAT, np.maximum(as_of_s, incidents.notified), end)
    if terms.non_response_hours is not None and incidents.pending_since is not None:
        # 002 §4: no answer within 48 h to a pending request → the failure is deemed resolved
        lim = int(terms.non_response_hours * 3600)
        p, a = incidents.pending_since, incidents.answered_at
        unanswered = (p != NAT) & ((a == NAT) | (a - p > lim))
        deemed = p if terms.non_response_restores_at == "request" else p + lim
        deemed = np.maximum(deemed, incidents.notified)
        hit = unanswered & ((upto == NAT) | (deemed < upto))
        end = np.where(hit, deemed, end)
    return end


def _counted_spans(terms: SlaTerms, incidents: Incidents, as_of_s: int) -> tuple[np.ndarray, ...]:
    """Per incident: start, the end used (open ones up to `as_of`) and whether it is still open."""
    start = incidents.notified
    restored = deemed_restoration(terms, incidents, as_of_s)
    is_open = restored == NAT
    return start, np.where(is_open, np.maximum(as_of_s, start), restored), is_open


def counted_incidents(terms: SlaTerms, incidents: Incidents) -> np.ndarray:
    """Per incident: whether it counts as a failure (its cause, CONTRACTS §2; and its origin)."""
    counted = np.array(terms.counted_mask, dtype=bool)[incidents.cause]
    if not terms.provider_detected_counts and incidents.provider_detected is not None:
        # 001 §4 « calculé sur la base des Notifications de Défaillance du Client » (provider_detected_counts)
        counted &= ~incidents.provider_detected
    return counted


def _downtime(profile, terms, incidents, fleet, start, end, is_open, sm):
    """Counted seconds per (site, month) of the counted causes, and the site-months an open one touches."""
    counted = counted_incidents(terms, incidents)
    sidx = np.fromiter(map(fleet.index.__getitem__, incidents.site), dtype=np.int64, count=len(incidents))

    def clock(variant: bool):
        return profile.clock_calendar("57" if variant else None)

    down: dict[tuple[str, int], int] = {}
    open_months: set[tuple[str, int]] = set()
    ci = np.flatnonzero(counted)
    if terms.kind == _AVAILABILITY:
        down = _availability_downtime(terms, sidx[ci], start[ci], end[ci], fleet.alsace, clock, fleet.names)
        for i in np.flatnonzero(counted & is_open):
            first, last = Month.at(int(start[i])), Month.at(max(int(end[i]) - 1, int(start[i])))
            for m in first.through(last):
                open_months.add((incidents.site[i], m))
    elif terms.kind == _PER_INCIDENT:
        down = _per_incident(
            terms, incidents, ci, sidx, start, end, is_open, fleet.alsace, clock, fleet.names, sm
        )
    return down, open_months


def _absent_months(down: dict[tuple[str, int], int], bill: dict[tuple[str, int], BillingRow]) -> list[str]:
    """Counted downtime in a month the billing file does not have: said, never dropped silently."""
    return [
        f"site {site} month {Month(m).text}: {secs / 60:g} counted minutes but the month is absent "
        "from the billing file; no statement row"
        for (site, m), secs in sorted(down.items())
        if (site, m) not in bill and secs > 0
    ]


def _month_lines(profile, terms, sm, bill, down, open_months) -> None:
    """Each site-month's downtime, and for availability its period, tier and credit (000 §5.3, 001 §4)."""
    availability = terms.kind == _AVAILABILITY
    keys = list(sm)
    if availability and keys:
        den_a = _periods(profile, terms, sm)
        down_a = np.fromiter(map(down.get, keys, [0] * len(keys)), dtype=np.int64, count=len(keys))
        tier_a = _tier_index(terms.tiers, den_a - down_a, den_a)
    for n, (key, line) in enumerate(sm.items()):
        site, m = key
        line.open = key in open_months or line.open
        if availability:
            line.down_s = int(down_a[n])
            line.den_s = int(den_a[n])
            if line.den_s > 0:
                line.measured = True
                tier = terms.tiers[int(tier_a[n])]
                line.pct, line.tier_row = tier.pct, tier.text
            if terms.credited and line.pct > 0:
                line.usage_months, mean = _usage_base(terms, bill, site, m)
                # 000 §5.3 / 001 §4: recurring fees of the month + mean usage of the 3 previous months
                line.base = line.billing.recurring + mean
                line.amount = money(line.base * line.pct / 100)
                last = Month(m).last_day  # §13: dated on the last day of the month
                line.credits.append(
                    Credit(
                        site,
                        last,
                        local_epoch(last),
                        "",
                        m,
                        CreditKind.availability,
                        line.amount,
                        _cap_base(line),
                    )
                )
        elif terms.kind == _PER_INCIDENT:
            line.down_s = down.get(key, 0)


def _periods(profile: Profile, terms: SlaTerms, sm: dict[tuple[str, int], SiteMonth]) -> np.ndarray:
    """The period of each site-month in seconds: the calendar month, or its business window (§4)."""
    cache: dict[tuple[bool, int], int] = {}
    for key, line in sm.items():
        dk = (line.alsace_moselle, key[1])
        if dk not in cache:
            a, b = Month(key[1]).first_instant, Month(key[1]).end_instant
            if terms.denominator == "business_window":
                cal = profile.calendar("57" if line.alsace_moselle else None)
                cache[dk] = int(cal.business_seconds_array(np.array([a]), np.array([b]))[0])
            else:
                cache[dk] = b - a
    return np.fromiter(
        (cache[(line.alsace_moselle, k[1])] for k, line in sm.items()), dtype=np.int64, count=len(sm)
    )


def _install_credits(profile, installs, dep, sm) -> list[str]:
    """ALLEO install-delay credit (000 §5.2) on the month of service start; returns the warnings."""
    warnings: list[str] = []
    if not installs:
        return warnings
    spec = profile.install_delay
    if spec is None:
        return [f"profile {profile.name} has no install-delay credit; --installs ignored"]
    for ins in installs:
        cal = profile.calendar(dep.get(ins.site))
        late = cal.business_days_between(ins.indicative_date, ins.service_start)
        if ins.customer_caused or late <= spec.business_days or ins.handsets <= 0:
            continue
        m = Month.containing(ins.service_start)
        line = sm.get((ins.site, m))
        if line is None:
            warnings.append(
                f"site {ins.site} month {m.text}: install-delay credit, month absent "
                "from the billing file; no statement row"
            )
            continue
        amount = money(Decimal(spec.eur_per_handset) * ins.handsets)
        c = Credit(
            ins.site,
            ins.service_start,
            local_epoch(ins.service_start),
            "",
            m,
            _INSTALL,
            amount,
            _cap_base(line),
        )
        c.notes.append(
            f"{ins.handsets} handsets, service start {late} business days after the indicative date"
        )
        line.credits.append(c)
    return warnings


def _cap(profile: Profile, terms: SlaTerms, sm: dict[tuple[str, int], SiteMonth]) -> None:
    """The cap on the credits of any 30 days of a site (§6), or every credit granted in full."""
    if profile.cap is None:
        for line in sm.values():
            for c in line.credits:
                c.granted, c.lost = c.amount, ZERO
        return
    per_site: dict[str, list[Credit]] = defaultdict(list)
    for line in sm.values():
        for c in line.credits:
            if c.amount > 0:
                per_site[c.site].append(c)
    for credits in per_site.values():
        apply_cap(credits, Decimal(str(profile.cap.pct)), terms.cap_window, profile.cap.days)


def _cap_base(line: SiteMonth) -> Decimal:
    return line.billing.recurring + line.billing.usage


def _availability_downtime(terms: SlaTerms, site, s, e, alsace, clock, sites) -> dict[tuple[str, int], int]:
    """Counted business seconds per (site, month): merge overlaps (§13 `overlap`), split at month starts."""
    if len(s) == 0:
        return {}
    t0 = int(s.min())
    if terms.overlap == "merge":
        ks = site * _BIG + (s - t0)
        ke = site * _BIG + (np.maximum(e, s) - t0)
        order = np.argsort(ks, kind="stable")
        ks, ke = ks[order], ke[order]
        run = np.maximum.accumulate(ke)
        new = np.ones(len(ks), dtype=bool)
        new[1:] = ks[1:] > run[:-1]
        heads = np.flatnonzero(new)
        ms, me = ks[heads], np.maximum.reduceat(ke, heads)
        site, s, e = ms // _BIG, ms % _BIG + t0, me % _BIG + t0
        # me // _BIG == site because every end is within the same site block
    m_lo, m_hi = Month.at(int(s.min())), Month.at(max(int(e.max()), int(s.min())))
    starts = _month_starts(m_lo, m_hi)
    mi_s = np.searchsorted(starts, s, side="right") - 1
    mi_e = np.searchsorted(starts, np.maximum(e - 1, s), side="right") - 1
    count = mi_e - mi_s + 1
    rep = np.repeat(np.arange(len(s)), count)
    offs = np.arange(len(rep)) - np.repeat(np.cumsum(count) - count, count)
    mi = mi_s[rep] + offs
    seg_s = np.maximum(s[rep], starts[mi])
    seg_e = np.minimum(e[rep], starts[mi + 1])
    seg_site = site[rep]
    secs = np.zeros(len(rep), dtype=np.int64)
    variant = alsace[seg_site]
    for v in (False, True):
        sel = variant == v
        if sel.any():
            secs[sel] = clock(v).business_seconds_array(seg_s[sel], seg_e[sel])
    n_m = len(starts)
    key = seg_site * n_m + mi
    uk, inv = np.unique(key, return_inverse=True)
    tot = np.bincount(inv, weights=secs.astype(np.float64))
    return {(sites[int(k // n_m)], m_lo + int(k % n_m)): int(round(x)) for k, x in zip(uk, tot, strict=True)}


def _per_incident(terms: SlaTerms, inc: Incidents, ci, sidx, start, end, is_open, alsace, clock, sites, sm):
    """ProgetCom GTR (002 §4): per incident credit on the recurring fees of the month of restoration."""
    if len(ci) == 0:
        return {}
    s, e, site = start[ci], end[ci], sidx[ci]
    secs = np.zeros(len(ci), dtype=np.int64)
    for v in (False, True):
        sel = alsace[site] == v
        if sel.any():
            secs[sel] = clock(v).business_seconds_array(s[sel], e[sel])
    pct = _gtr_pct(terms, secs)
    if not terms.credited:
        pct = np.zeros_like(pct)  # 002 §4 « Dans le cas d'une GTR » (choice gtr_subscribed)
    m_lo, m_hi = Month.at(int(e.min())), Month.at(int(e.max()))
    starts = _month_starts(m_lo, m_hi)
    mi = np.searchsorted(starts, e, side="right") - 1 + m_lo
    down: dict[tuple[str, int], int] = defaultdict(int)
    tickets = [inc.ticket[i] for i in ci.tolist()]
    order = np.lexsort((np.array(tickets, dtype=str), e, site)).tolist()
    iso = epoch_to_iso(e)
    days = epoch_to_local_date(e).tolist()
    site_l, mi_l, secs_l, pct_l, e_l = site.tolist(), mi.tolist(), secs.tolist(), pct.tolist(), e.tolist()
    open_l = is_open[ci].tolist()
    pcts = {x: Decimal(str(x)).normalize() for x in set(pct_l)}
    n_m = m_hi - m_lo + 1
    uk, inv = np.unique(site * n_m + (mi - m_lo), return_inverse=True)
    tot = np.bincount(inv, weights=secs.astype(np.float64))
    for k, x in zip(uk.tolist(), tot.tolist(), strict=True):
        down[(sites[k // n_m], m_lo + k % n_m)] = int(round(x))
    for j in order:
        key = (sites[site_l[j]], mi_l[j])
        line = sm.get(key)
        if line is None:
            continue
        p = pcts[pct_l[j]]
        item = {
            "ticket": tickets[j],
            "restored_at": iso[j],
            "restoration_minutes": secs_l[j] / 60,
            "credit_pct": pct_l[j],
            "credit_eur": 0.0,
        }
        if open_l[j]:
            item["open"] = True
            line.open = True
        line.incidents.append(item)
        if p > 0:
            line.pct += p
            amount = money(line.billing.recurring * p / 100)  # 002 §4: monthly rent of the failed service
            c = Credit(key[0], days[j], e_l[j], tickets[j], key[1], _GTR, amount, _cap_base(line))
            c.notes.append(str(len(line.incidents) - 1))
            line.credits.append(c)
    return dict(down)


def _row(profile: Profile, terms: SlaTerms, line: SiteMonth) -> dict[str, Any]:
    """The JSON object of one statement row."""
    for c in line.credits:
        if c.kind == _GTR:
            line.incidents[int(c.notes[0])]["credit_eur"] = float(c.granted)
    granted = float(money(line.granted)) if line.credits else 0.0
    lost = float(money(line.lost)) if line.credits else 0.0
    row: dict[str, Any] = {
        "site": line.site,
        "month": Month(line.month).text,
        "downtime_minutes": line.down_s / 60,
        "availability": (line.den_s - line.down_s) * 100 / line.den_s if line.measured else None,
        "credit_pct": float(line.pct) if line.pct else 0.0,
        "credit_eur": granted,
        "lost_to_cap_eur": lost,
        "open": line.open,
    }
    if profile.install_delay is not None:
        row["install_credit_eur"] = (
            float(sum((c.granted for c in line.credits if c.kind == _INSTALL), ZERO)) if line.credits else 0.0
        )
    if terms.kind == _PER_INCIDENT:
        row["incidents"] = line.incidents
    return row


def load_inputs(incidents_path, billing_path, installs_path=None, columns=None):
    """Read the three input files."""
    with paused_gc():
        inc = read_incidents(incidents_path, columns)
        bill = read_billing(billing_path, columns)
        ins = read_installs(installs_path, columns) if installs_path else None
    return inc, bill, ins


def compute_files(
    profile: Profile,
    incidents_path: str | Path,
    billing_path: str | Path,
    installs_path: str | Path | None = None,
    as_of: datetime | None = None,
) -> list[dict]:
    """Read the files and return exactly the JSON rows of `centrex sla compute --format json`."""
    with paused_gc():
        inc, bill, ins = load_inputs(incidents_path, billing_path, installs_path)
        return compute(profile, inc, bill, ins, as_of).rows
