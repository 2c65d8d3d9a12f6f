"""Explain a statement: the derivation of one site-month in words and numbers, each step with its clause;
compare with another system's statement; total credits under every reading of each [choice]."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np

from contracts.calendar import from_epoch
from contracts.choices import CAUSES, CreditKind, SlaKind
from contracts.errors import InputError
from contracts.money import ZERO, money
from contracts.month import Month
from contracts.objectives import ObjectiveResults, check_objectives
from contracts.profile import Profile
from contracts.records import NAT, BillingRow, Incidents, InstallRow, subset
from contracts.sla import SlaResult, compute, counted_incidents
from contracts.tables import ColumnMap, open_table


def _t(s: int) -> str:
    return from_epoch(s).strftime("%Y-%m-%d %H:%M %Z")


def _min(secs: int | float) -> str:
    m = secs / 60
    return f"{m:g}" if m == int(m) else f"{m:.2f}"


def explain(
    profile: Profile,
    incidents: Incidents,
    billing: list[BillingRow],
    installs: list[InstallRow] | None,
    as_of: datetime | None,
    site: str,
    month: str,
) -> list[str]:
    """Return the derivation of (site, month) as lines of text."""
    mk = Month.parse(month, field="--month")
    sel = np.flatnonzero(np.array([s == site for s in incidents.site], dtype=bool))
    inc = subset(incidents, sel)
    bill = [b for b in billing if b.site == site]
    if not any(b.month == mk for b in bill):
        raise InputError(f"no billing row for site {site} month {month}", field="--site/--month")
    ins = [i for i in installs or [] if i.site == site] or None
    as_of_s = None
    if as_of is None and billing:
        from contracts.sla import default_as_of

        as_of_s = default_as_of(billing)  # same default as the whole statement, not this site's months
    res = compute(profile, inc, bill, ins, as_of if as_of is not None else as_of_s)
    line = res.site_months[(site, mk)]
    terms = profile.sla_terms()
    kind = terms.kind
    out = [f"# {profile.provenance()}", f"Site {site}, month {month} — {profile.title or profile.name}"]
    cal = profile.calendar("57" if line.alsace_moselle else None)
    clock = terms.clock
    out.append(
        f"1. Calendar ({profile.calendar_spec.clause}): window {profile.calendar_spec.window}, "
        f"public holidays {'off' if cal.holidays_off else 'worked'}"
        + (", Alsace-Moselle (Good Friday, 26 Dec off; CONTRACTS §1)" if line.alsace_moselle else "")
        + f"; restoration clock: {clock}."
    )
    a, b = mk.first_instant, mk.end_instant
    ccal = profile.clock_calendar("57" if line.alsace_moselle else None)
    out.append("2. Incidents of the site (CONTRACTS §2 causes):")
    ends = res.effective_end
    counted = counted_incidents(terms, inc)
    objectives = check_objectives(profile, inc, ends)
    shown = 0
    for j in range(len(inc)):
        s, e = int(inc.notified[j]), int(ends[j])
        cause = CAUSES[int(inc.cause[j])]
        if kind == SlaKind.per_incident:
            touches = a <= e < b
        else:
            touches = s < b and e > a
        if not touches:
            continue
        shown += 1
        counts = bool(counted[j])
        tail = (
            "open, counted up to --as-of"
            if inc.restored[j] == NAT
            else f"restored {_t(int(inc.restored[j]))}"
        )
        if e != (int(inc.restored[j]) if inc.restored[j] != NAT else e):
            tail += f"; deemed resolved at {_t(e)} ({terms.non_response_clause})"
        desc = f"   - {inc.ticket[j]} (line {int(inc.line[j])}): {cause}, notified {_t(s)}, {tail}: "
        out_objectives = objective_lines(objectives, j)
        if not counts:
            why = profile.cause_clause(cause)
            if terms.counts(cause):  # its cause counts: excluded as the provider's own detection
                why = f"provider-detected, provider_detected_counts=false; {terms.provider_detected_clause}"
            out.append(desc + f"EXCLUDED ({why})")
            out += out_objectives
            continue
        if kind == SlaKind.per_incident:
            secs = ccal.business_seconds_array(np.array([s]), np.array([e]))[0]
            item = next((x for x in line.incidents if x["ticket"] == inc.ticket[j]), None)
            pct = item["credit_pct"] if item else 0
            out.append(
                desc
                + f"counts ({profile.cause_clause(cause)}); restoration time {_min(secs)} {clock} minutes "
                f"= {secs / 3600:.4g} h → GTR tier {pct:g} % ({terms.tiers_clause})"
            )
            out += out_objectives
        else:
            secs = ccal.business_seconds_array(np.array([max(s, a)]), np.array([min(e, b)]))[0]
            start_note = ""
            if terms.start == "first_business_minute":
                first = ccal.next_business_instant(from_epoch(s))
                start_note = f"; clock starts {first.strftime('%Y-%m-%d %H:%M')} ({terms.start_clause})"
            out.append(
                desc
                + f"counts ({profile.cause_clause(cause)}){start_note}; "
                + f"{_min(secs)} {clock} minutes in {month}"
            )
            out += out_objectives
    if not shown:
        out.append("   (none in this month)")
    if kind == SlaKind.availability:
        ov = terms.overlap
        out.append(
            f"3. Counted downtime in {month}: {_min(line.down_s)} minutes (overlaps {ov}d; overlap choice, "
            "CONTRACTS §13)."
        )
        if terms.denominator == "business_window":
            days = cal.business_days_in_month(mk.year, mk.number)
            per = line.den_s // 60 // days if days else 0
            out.append(
                f"4. Period: {per} min × {days} business days = {_min(line.den_s)} min "
                f"({terms.denominator_clause})."
            )
        else:
            out.append(
                f"4. Period: the calendar month = {_min(line.den_s)} wall-clock minutes "
                f"({terms.denominator_clause})."
            )
        if line.availability is not None:
            out.append(
                f"5. Availability = 1 − {_min(line.down_s)} / {_min(line.den_s)} = {line.availability} "
                f"= {float(line.availability) * 100:.6f} % (exact comparison, CONTRACTS §13)."
            )
        if not terms.credited:
            out.append(f"6. No credit under this contract ({terms.tiers_clause or terms.clause}).")
        else:
            tchoice = terms.tiers_choice
            tnote = f"; {tchoice}={profile.choice(tchoice)}" if tchoice else ""
            out.append(f"6. Tier: {line.tier_row} → {line.pct:g} % ({terms.tiers_clause}{tnote}).")
            if line.pct > 0:
                um = ", ".join(f"{m} {u}" for m, u in line.usage_months) or "none present"
                mean = line.base - line.billing.recurring
                out.append(
                    f"7. Base = recurring fees {line.billing.recurring} + mean usage of the 3 months before "
                    f"({um}; usage_mean={terms.usage_mean}) {money(mean)} = "
                    f"{money(line.base)} € ({terms.base_clause})."
                )
                out.append(
                    f"8. Credit = {line.pct:g} % × {money(line.base)} = {line.amount} € (half-up, cent)."
                )
    else:
        out.append(
            f"3. Restoration minutes of incidents restored in {month}: {_min(line.down_s)}; sum of tiers "
            f"{line.pct:g} %; each credit on the recurring fees of the month, {line.billing.recurring} € "
            f"({terms.base_clause})."
        )
    for c in line.credits:
        if c.kind == CreditKind.install:
            out.append(
                f"   Install-delay credit {c.amount} € "
                f"({'; '.join(c.notes)}; {profile.install_delay.clause})."
            )
    if profile.cap is not None and line.credits:
        out.append(f"9. 30-day cap ({profile.cap.clause}; cap_window={terms.cap_window}):")
        for c in line.credits:
            what = c.ticket or c.kind
            out.append(
                f"   - {what} dated {c.day}: {c.amount} €; window {c.window_from}…{c.day} already granted "
                f"{c.window_before} €; cap {profile.cap.pct} % × "
                f"({line.billing.recurring} + {line.billing.usage}) "
                f"= {c.cap_eur} € → granted {c.granted} €, lost {c.lost} €."
            )
    out.append(f"Result: credit {money(line.granted)} €, lost to the cap {money(line.lost)} €.")
    return _renumber(out)


def objective_lines(r: ObjectiveResults, j: int) -> list[str]:
    """Incident `j`'s objectives in words: met or missed, the measured time and the target, the clause."""
    st = r.restoration_status[j]
    if st in ("met", "missed"):
        what = (
            f"{_min(r.restoration_minutes[j] * 60)} {r.restoration_clock} minutes, objective "
            f"{_min(r.restoration_target_minutes[j] * 60)}: {st.upper()}"
        )
    elif st == "open":
        what = f"OPEN, objective {_min(r.restoration_target_minutes[j] * 60)} {r.restoration_clock} minutes"
    else:
        what = "not applicable"
    rest = f"     objective, restoration ({r.restoration_clause}): {what}"
    st = r.replacement_status[j]
    if st in ("met", "missed"):
        hours, target = r.replacement_hours[j], r.replacement_target_hours[j]
        what = f"{hours:g} h after diagnosis, objective {target:g} h: {st.upper()}"
    elif st == "not_measurable":
        what = "not measurable (no diagnosed_at / replaced_at, or the warranty state it needs)"
    else:
        what = "not applicable (nothing replaced, or outside the objective)"
    return [rest, f"     objective, equipment replacement ({r.replacement_clause}): {what}"]


def _renumber(lines: list[str]) -> list[str]:
    """Number the steps 1, 2, 3… in the order they were written (some steps apply to one kind only)."""
    out, k = [], 0
    for x in lines:
        head, dot, rest = x.partition(". ")
        if dot and head.isdigit():
            k += 1
            x = f"{k}. {rest}"
        out.append(x)
    return out


THEIRS_COLUMNS = ("site", "month", "credit_eur")


def read_theirs(path: str | Path, columns: ColumnMap | None = None) -> dict[tuple[str, Month], Decimal]:
    """Read another system's statement `site,month,credit_eur` (our own CSV output is one)."""
    f = str(path)
    out = {}
    with open_table(path, THEIRS_COLUMNS, name="statement", columns=columns) as t:
        for i, r in t.rows(THEIRS_COLUMNS):
            cell = r["credit_eur"]
            try:
                v = Decimal(cell.replace(",", ".") or "0")  # decimal comma accepted
            except InvalidOperation:
                raise InputError(f"not a number: {cell!r}", file=f, line=i, field="credit_eur") from None
            if not v.is_finite():
                raise InputError(f"not a finite amount: {cell!r}", file=f, line=i, field="credit_eur")
            out[(r["site"], Month.parse(r["month"], file=f, line=i))] = v
    return out


def diff(result: SlaResult, theirs: dict[tuple[str, Month], Decimal]) -> list[dict[str, Any]]:
    """Every site-month where our credit and theirs differ by a cent or more, with our reasoning."""
    ours = {(r["site"], r["month"]): r for r in result.rows}
    keys = sorted({(s, m.text) for s, m in theirs} | set(ours))
    out = []
    for site, month in keys:
        r = ours.get((site, month))
        mine = Decimal(str(r["credit_eur"])) if r else None
        their = theirs.get((site, Month.parse(month)))
        if mine is not None and their is not None and abs(mine - their) < Decimal("0.01"):
            continue
        if r is None:
            why = "no statement row: the month is absent from our billing file"
        else:
            line = result.site_months[(site, Month.parse(month))]
            avail = "" if r["availability"] is None else f"availability {r['availability']:.4f} %, "
            why = (
                f"{avail}downtime {r['downtime_minutes']:g} min, tier {r['credit_pct']:g} %, "
                f"credit before cap {sum((c.amount for c in line.credits), ZERO)} €, "
                f"lost to cap {r['lost_to_cap_eur']} €"
            )
        out.append(
            {
                "site": site,
                "month": month,
                "ours_eur": None if mine is None else float(mine),
                "theirs_eur": None if their is None else float(their),
                "difference_eur": None if mine is None or their is None else float(mine - their),
                "explanation": why,
            }
        )
    return out


def choices_table(
    profile: Profile,
    incidents: Incidents,
    billing: list[BillingRow],
    installs: list[InstallRow] | None = None,
    as_of: datetime | None = None,
) -> list[dict[str, Any]]:
    """For each [choice], the total credit (and lost to cap) under each allowed reading, side by side."""
    base = compute(profile, incidents, billing, installs, as_of)
    base_total = sum((Decimal(str(r["credit_eur"])) for r in base.rows), ZERO)
    out = []
    for key, spec in sorted(profile.choice_specs.items()):
        if spec.values is None:
            continue  # a numeric range (claim_rate): simulation only, no reading to compare
        for v in spec.values:
            p = profile.with_choices({key: v})
            res = base if p.choices == profile.choices else compute(p, incidents, billing, installs, as_of)
            total = sum((Decimal(str(r["credit_eur"])) for r in res.rows), ZERO)
            lost = sum((Decimal(str(r["lost_to_cap_eur"])) for r in res.rows), ZERO)
            out.append(
                {
                    "choice": key,
                    "value": v if not isinstance(v, bool) else str(v).lower(),
                    "current": p.choices == profile.choices,
                    "default": v == spec.default,
                    "total_credit_eur": float(total),
                    "lost_to_cap_eur": float(lost),
                    "vs_current_eur": float(total - base_total),
                    "clause": spec.clause,
                }
            )
    return out
