"""Money beyond the SLA: early-termination fees, first-period pro rata, refunds, call pricing, late interest.

The rule data (rates, the 90 € handset fee, initial lengths…) lives in each profile's `termination:` and
`billing:` sections, validated here by pydantic; the [choice]s (`partial_month`,
`handsets_on_site_termination`, `refund_prepaid`) come from the profile's `choices`.
Money is `Decimal`, rounded half-up to the cent at the edge (CONTRACTS §13).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from contracts.errors import InputError
from contracts.fees import fees_of
from contracts.money import money, money_up
from contracts.month import Month, add_months
from contracts.profile import Profile
from contracts.tables import ColumnMap

# ----- rule models (the profile's YAML sections) ---------------------------------------------------------


class Tier(BaseModel):
    """A slice of the months left, charged at `rate` (1 = 100 % of the monthly fees)."""

    model_config = ConfigDict(extra="forbid")
    what: str
    months: int | None = None  # length of the slice; None = the rest of the period
    rate: Decimal
    clause: str


class PeriodRule(BaseModel):
    """How the months left in a period are charged: slices from the period start or from termination."""

    model_config = ConfigDict(extra="forbid")
    anchor: Literal["period_start", "termination"] = "termination"
    tiers: list[Tier]
    extra_input: Literal["order_form_amount"] | None = None  # 002 §5 b): only in the initial period
    extra_clause: str | None = None


class BeforeStart(BaseModel):
    """What a termination before service start costs: only the link fees (000 §6.4), the whole initial
    period (002 §5.3 « avant la fin de la Période Initiale »), or nothing computable (`refuse`: the clause
    is silent, named in the error)."""

    model_config = ConfigDict(extra="forbid")
    rule: Literal["link_fees_only", "whole_initial_period", "refuse"]
    clause: str


class TerminationRules(BaseModel):
    """The `termination:` section of a profile."""

    model_config = ConfigDict(extra="forbid")
    clause: str
    initial_months: int
    initial_months_clause: str
    renewal_months: int | None  # None = open-ended after the initial period (no fee)
    renewal_clause: str
    partial_month: Literal["up", "prorata"] | None = None  # fixed by the text when no choice exists
    partial_month_clause: str | None = None
    effective: Literal["on_date", "end_of_billing_month"] = "on_date"
    effective_clause: str | None = None
    initial: PeriodRule
    renewal: PeriodRule | None = None
    handset_fee_eur: Decimal | None = None
    handset_clause: str | None = None
    link_fees_clause: str | None = None
    procedure_penalty_clause: str | None = None
    before_service_start: BeforeStart | None = None  # None: refused, naming `clause`
    base: str = "monthly fixed fees"

    @model_validator(mode="after")
    def _check(self) -> TerminationRules:
        if self.initial_months <= 0:
            raise ValueError("initial_months must be positive")
        if self.renewal_months is not None and self.renewal is None:
            raise ValueError("renewal_months given without a `renewal` rule")
        return self


class BillingRules(BaseModel):
    """The `billing:` section of a profile."""

    model_config = ConfigDict(extra="forbid")
    prorata_clause: str
    prorata_basis: Literal["calendar_days"] = "calendar_days"
    call_pricing: Literal["per_second_round_up", "per_started_minute", "per_second"] = "per_second"
    call_pricing_clause: str
    late_interest_pct_per_month: Decimal | None = None
    late_interest_clause: str | None = None
    late_interest_basis: Literal["prorata_days", "started_month"] = "prorata_days"
    suspension_after_days: int | None = None
    suspension_clause: str | None = None
    refund: Literal["never", "general_terms"] = "never"
    refund_clause: str | None = None
    refund_min_eur: Decimal = Decimal("0")


def _section(profile: Profile, name: str, model: type[BaseModel]) -> Any:
    data = getattr(profile, name) or {}
    if not data:
        raise InputError(f"profile {profile.name} has no `{name}:` section", file=profile.path, field=name)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join([name, *(str(x) for x in err["loc"])])
        raise InputError(err["msg"], file=profile.path, field=loc) from None


def termination_rules(profile: Profile) -> TerminationRules:
    """The validated `termination:` section of `profile` (an InputError naming the field otherwise)."""
    return _section(profile, "termination", TerminationRules)


def billing_rules(profile: Profile) -> BillingRules:
    """The validated `billing:` section of `profile`."""
    return _section(profile, "billing", BillingRules)


# ----- months ---------------------------------------------------------------------------------------------


def months_between(a: date, b: date) -> Fraction:
    """Months from `a` to `b` (a ≤ b): whole months counted from `a`, the rest as a fraction of the next."""
    if b <= a:
        return Fraction(0)
    n = (b.year - a.year) * 12 + b.month - a.month
    while n > 0 and add_months(a, n) > b:
        n -= 1
    while add_months(a, n + 1) <= b:
        n += 1
    start, nxt = add_months(a, n), add_months(a, n + 1)
    return n + Fraction((b - start).days, (nxt - start).days)


def _count(months: Fraction, partial: str) -> Fraction:
    """Months charged: a started month counts whole (`up`, 001 §5 « ou partie ») or pro rata."""
    if partial == "up":
        return Fraction(-(-months.numerator // months.denominator))
    return months


# ----- early-termination fee ------------------------------------------------------------------------------


@dataclass
class Line:
    """One line of a fee's derivation."""

    what: str
    months: Fraction | None
    rate: Decimal | None
    amount: Decimal
    clause: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly: months as a decimal with 4 places when not whole."""
        months = None
        if self.months is not None:
            m = self.months
            months = int(m) if m.denominator == 1 else float(round(Decimal(m.numerator) / m.denominator, 4))
        return {
            "what": self.what,
            "months": months,
            "rate": self.rate,
            "amount": self.amount,
            "clause": self.clause,
        }


@dataclass
class TerminationFee:
    """An early-termination fee with its derivation."""

    contract: str
    service_start: date | None  # None: not yet in service
    terminate_on: date
    effective_on: date
    period: str
    period_start: date | None  # None before service start
    period_end: date | None
    months_left: Fraction
    fee_eur: Decimal
    lines: list[Line]
    notes: list[str] = field(default_factory=list)
    provenance: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for the CLI (fee_eur and lines first)."""
        return {
            "contract": self.contract,
            "fee_eur": self.fee_eur,
            "lines": [ln.as_dict() for ln in self.lines],
            "service_start": self.service_start,
            "terminate_on": self.terminate_on,
            "effective_on": self.effective_on,
            "period": self.period,
            "period_start": self.period_start,
            "period_end": self.period_end,
            "months_left": float(
                round(Decimal(self.months_left.numerator) / self.months_left.denominator, 4)
            ),
            "notes": self.notes,
            "provenance": self.provenance,
        }


def _money(value: Decimal | int | str | None, name: str) -> Decimal:
    try:
        d = Decimal(str(value if value is not None else 0))
    except ArithmeticError:
        raise InputError(f"not an amount: {value!r}", field=name) from None
    if not d.is_finite() or d < 0:
        raise InputError(f"must be a finite amount ≥ 0, got {value}", field=name)
    return d


def _current_period(
    start: date, on: date, rules: TerminationRules, initial_months: int
) -> tuple[str, date, date]:
    """The (name, start, end-exclusive) of the period `on` falls in; renewals follow the initial length."""
    end = add_months(start, initial_months)  # 000 §6.1, 001 §5, 002 §5.1, 003 §3
    if on < end:
        return "initial", start, end
    if rules.renewal_months is None:
        return "open-ended", end, on
    k = (months_between(end, on) // rules.renewal_months) if on > end else 0
    k = int(k)
    p_start = add_months(end, k * rules.renewal_months)
    while p_start > on:
        k -= 1
        p_start = add_months(end, k * rules.renewal_months)
    while add_months(end, (k + 1) * rules.renewal_months) <= on:
        k += 1
        p_start = add_months(end, k * rules.renewal_months)
    return f"renewal {k + 1}", p_start, add_months(end, (k + 1) * rules.renewal_months)


def early_termination_fee(
    profile: Profile,
    *,
    service_start: date | None,
    terminate_on: date,
    monthly_fees: Decimal | str | int,
    initial_months: int | None = None,
    handsets: int = 0,
    link_fees: Decimal | str | int | None = None,
    order_form_amount: Decimal | str | int = 0,
    procedure_penalty: Decimal | str | int = 0,
) -> TerminationFee:
    """Return the early-termination fee of one site under `profile`, with a line per component.

    `terminate_on` is the date the termination takes effect (the first day without service), before any
    shift the profile applies (ALLOcloud: the end of the current billing month). `service_start` None, or
    after `terminate_on`, is a termination before service start (the profile's `before_service_start`).
    `link_fees` None takes the profile's link fees (`fees_of`, a placeholder amount until one is given).
    """
    rules = termination_rules(profile)
    fees = _money(monthly_fees, "monthly_fees")
    notes: list[str] = []
    links = _link_fees(profile, rules, link_fees, notes)
    order_form = _money(order_form_amount, "order_form_amount")
    penalty = _money(procedure_penalty, "procedure_penalty")
    if handsets < 0:
        raise InputError(f"must be ≥ 0, got {handsets}", field="handsets")
    months_i = rules.initial_months if initial_months is None else initial_months
    if months_i <= 0:
        raise InputError(f"must be a positive number of months, got {months_i}", field="initial_months")
    if service_start is None or terminate_on < service_start:
        return _before_service_start(
            profile, rules, service_start, terminate_on, fees, months_i, links, order_form, notes
        )
    if "partial_month" in profile.choices:
        partial = str(profile.choices["partial_month"])
        partial_clause = profile.choice_specs["partial_month"].clause
    else:
        partial = rules.partial_month or "up"
        partial_clause = rules.partial_month_clause or rules.clause
    effective = terminate_on
    if rules.effective == "end_of_billing_month" and terminate_on.day != 1:
        y, m = divmod(terminate_on.month, 12)
        effective = date(terminate_on.year + y, m + 1, 1)
        notes.append(
            f"effective at the end of the current billing period: {effective} ({rules.effective_clause})"
        )
    name, p_start, p_end = _current_period(service_start, effective, rules, months_i)
    lines: list[Line] = []
    left = months_between(effective, p_end)
    if name == "open-ended":
        notes.append(f"after the initial period the contract is open-ended: no fee ({rules.renewal_clause})")
        left = Fraction(0)
    else:
        prule = rules.initial if name == "initial" else rules.renewal
        assert prule is not None
        lines += _tier_lines(prule, fees, effective, p_start, p_end, partial, partial_clause)
        if prule.extra_input == "order_form_amount" and order_form > 0:
            lines.append(
                Line(
                    "amount set by the order form",
                    None,
                    None,
                    money(order_form),
                    prule.extra_clause or rules.clause,
                )
            )
    if rules.handset_fee_eur is not None and handsets > 0:
        on_site = bool(profile.choices.get("handsets_on_site_termination", True))
        if on_site:
            lines.append(
                Line(
                    f"terminated handsets: {handsets} × {rules.handset_fee_eur} €",
                    None,
                    rules.handset_fee_eur,
                    money(rules.handset_fee_eur * handsets),
                    rules.handset_clause or rules.clause,
                )
            )
        else:
            notes.append("handsets_on_site_termination=false: no handset fee for a whole-site termination")
    lines += _link_line(rules, links)
    if rules.procedure_penalty_clause and penalty > 0:
        lines.append(
            Line(
                "penalty for not following the termination procedure (general terms)",
                None,
                None,
                money(penalty),
                rules.procedure_penalty_clause,
            )
        )
    total = sum((ln.amount for ln in lines), Decimal("0.00"))
    return TerminationFee(
        contract=profile.name,
        service_start=service_start,
        terminate_on=terminate_on,
        effective_on=effective,
        period=name,
        period_start=p_start,
        period_end=p_end,
        months_left=left,
        fee_eur=total,
        lines=lines,
        notes=notes,
        provenance=profile.provenance(),
    )


def _link_fees(profile: Profile, rules: TerminationRules, given: Any, notes: list[str]) -> Decimal:
    """The link fees given, else the profile's (`fees.link_fees_eur`), said when a placeholder."""
    if given is not None:
        return _money(given, "link_fees")
    fee = fees_of(profile).link_fees
    if fee is None:
        return Decimal("0")
    if fee.placeholder and rules.link_fees_clause:
        notes.append(
            f"link fees: placeholder amount {fee.amount} € (profile fees.link_fees_eur; give the real "
            "amount with --link-fees)"
        )
    return fee.amount


def _link_line(rules: TerminationRules, links: Decimal) -> list[Line]:
    if not (rules.link_fees_clause and links > 0):
        return []
    what = "access / backup link early-interruption fees (always due)"
    return [Line(what, None, None, money(links), rules.link_fees_clause)]


def _before_service_start(
    profile: Profile,
    rules: TerminationRules,
    service_start: date | None,
    terminate_on: date,
    fees: Decimal,
    months_i: int,
    links: Decimal,
    order_form: Decimal,
    notes: list[str],
) -> TerminationFee:
    """A termination before service start, as the profile's termination clause says (or refused)."""
    spec = rules.before_service_start
    if spec is None or spec.rule == "refuse":
        clause = spec.clause if spec is not None else rules.clause
        raise InputError(
            f"profile {profile.name}: the termination clause is silent before service start ({clause}); "
            "no fee can be computed",
            field="service_start",
        )
    lines: list[Line] = []
    left = Fraction(0)
    if spec.rule == "link_fees_only":  # 000 §6.4
        lines += _link_line(rules, links)
        notes.append(
            f"before service start: only the link fees are due, nothing for the months ({spec.clause})"
        )
    else:  # whole_initial_period: the initial period has not begun, all of it is left
        left = Fraction(months_i)
        end = add_months(terminate_on, months_i)
        lines += _tier_lines(rules.initial, fees, terminate_on, terminate_on, end, "up", rules.clause)
        if rules.initial.extra_input == "order_form_amount" and order_form > 0:
            what = "amount set by the order form"
            lines.append(
                Line(what, None, None, money(order_form), rules.initial.extra_clause or rules.clause)
            )
        notes.append(
            f"before service start: the whole initial period of {months_i} months is left ({spec.clause})"
        )
    return TerminationFee(
        contract=profile.name,
        service_start=service_start,
        terminate_on=terminate_on,
        effective_on=terminate_on,
        period="before service start",
        period_start=None,
        period_end=None,
        months_left=left,
        fee_eur=sum((ln.amount for ln in lines), Decimal("0.00")),
        lines=lines,
        notes=notes,
        provenance=profile.provenance(),
    )


def _tier_lines(
    prule: PeriodRule, fees: Decimal, on: date, p_start: date, p_end: date, partial: str, partial_clause: str
) -> list[Line]:
    """Split the months from `on` to `p_end` into the rule's slices and charge each at its rate."""
    lines = []
    cursor = p_start if prule.anchor == "period_start" else on
    left_total = _count(months_between(on, p_end), partial)
    used = Fraction(0)
    for tier in prule.tiers:
        t_end = p_end if tier.months is None else min(add_months(cursor, tier.months), p_end)
        if prule.anchor == "period_start":
            seg_from = max(on, cursor)
            months = _count(months_between(seg_from, t_end), partial) if seg_from < t_end else Fraction(0)
        else:  # slices from the termination date (001 §5 renewal: min(3, months left), CONTRACTS §13)
            months = min(
                Fraction(tier.months) if tier.months is not None else left_total - used, left_total - used
            )
        used += months
        cursor = t_end
        amount = money(Decimal(months.numerator) / months.denominator * fees * tier.rate)
        clause = tier.clause
        if partial != "up" and months.denominator != 1 and not partial_clause.startswith(tier.clause):
            clause = f"{tier.clause}; {partial_clause}"
        elif partial != "up" and months.denominator != 1:
            clause = partial_clause
        if months > 0:
            lines.append(Line(tier.what, months, tier.rate, amount, clause))
    return lines


# ----- first period, refunds --------------------------------------------------------------------------------


def prorata_first_period(
    profile: Profile, *, monthly_fees: Decimal | str, service_start: date
) -> dict[str, Any]:
    """Return the fee for the started month: days from `service_start` to the month's end over its length."""
    rules = billing_rules(profile)
    fees = _money(monthly_fees, "monthly_fees")
    month = Month.containing(service_start)
    days_in = month.days
    days = days_in - service_start.day + 1
    amount = money(fees * days / days_in)
    nxt = month.shift(1).first_day
    return {
        "contract": profile.name,
        "service_start": service_start,
        "first_full_period": nxt,
        "days": days,
        "days_in_month": days_in,
        "monthly_fees": fees,
        "amount_eur": amount,
        "clause": rules.prorata_clause,
    }


def refund_prepaid(
    profile: Profile, *, amount: Decimal | str, customer_breached: bool = False
) -> dict[str, Any]:
    """Return what is refunded of fixed fees paid for a time after the end of the contract."""
    rules = billing_rules(profile)
    paid = _money(amount, "amount")
    mode = rules.refund
    if "refund_prepaid" in profile.choices:
        mode = "general_terms" if bool(profile.choices["refund_prepaid"]) else "never"
    if mode == "never":
        refund, why = Decimal("0.00"), "no amount is credited or refunded"
    elif customer_breached:
        refund, why = Decimal("0.00"), "terminated for the customer's breach: no refund"
    elif paid < rules.refund_min_eur:
        refund, why = Decimal("0.00"), f"under {rules.refund_min_eur} €: not refunded"
    else:
        refund, why = money(paid), "fixed fees paid for after the end are refunded"
    return {
        "contract": profile.name,
        "paid_eur": money(paid),
        "refund_eur": refund,
        "why": why,
        "clause": rules.refund_clause,
    }


# ----- call pricing, late payment ---------------------------------------------------------------------------


def price_call(duration_s: int, rate_per_minute: Decimal | str, unit: str = "per_second_round_up") -> Decimal:
    """Price of one call: per second, rounded *up* to the next cent (003 §2), or per started minute."""
    rate = Decimal(str(rate_per_minute))
    if duration_s < 0:
        raise InputError(f"must be ≥ 0, got {duration_s}", field="duration_s")
    if rate < 0:
        raise InputError(f"must be ≥ 0, got {rate}", field="rate_per_minute")
    if unit == "per_started_minute":
        return money(-(-duration_s // 60) * rate)
    exact = Decimal(duration_s) * rate / 60
    if unit == "per_second":
        return money(exact)
    return money_up(exact)


def call_cents(durations: Any, rate_per_minute: Decimal | str, unit: str = "per_second_round_up") -> Any:
    """Cents of each call (numpy int64 array of seconds in, int64 array out), rounded as `price_call` does.

    Exact integer arithmetic: the rate is a fraction p/q cents per minute; per second rounded up a call
    costs ceil(d·p / 60q) cents (003 §2), half-up floor((2d·p + 60q) / 120q).
    """
    import numpy as np

    rate = Fraction(Decimal(str(rate_per_minute)) * 100)
    p, q = rate.numerator, rate.denominator
    d = np.asarray(durations, dtype=np.int64)
    if d.size and (int(d.max()) + 60) * p * 2 >= 2**62:
        raise InputError("call too long or rate too large for exact pricing", field="rate_per_minute")
    if unit == "per_started_minute":
        m = (d + 59) // 60
        return (2 * m * p + q) // (2 * q)
    if unit == "per_second":
        return (2 * d * p + 60 * q) // (120 * q)
    return (d * p + 60 * q - 1) // (60 * q)


def price_calls(
    profile: Profile, cdrs: str, *, rate_per_minute: Decimal | str, columns: ColumnMap | None = None
) -> dict[str, Any]:
    """Price every call of a CDR file with the profile's unit (ALLOcloud: per second, rounded up per call).

    Returns per user and month: calls, seconds, amount; and the total. One rate for every call (the
    tariff by destination is not in the seeds).
    """
    import numpy as np

    from contracts.calls import Users, read_cdrs

    rules = billing_rules(profile)
    rate = _money(rate_per_minute, "rate_per_minute")
    users = Users()
    groups: dict[int, list[int]] = {}
    for cols in read_cdrs(cdrs, users, columns=columns):
        if len(cols) == 0:
            continue
        key = (cols.user.astype(np.int64) << 20) | cols.month.astype(np.int64)
        keys, inv = np.unique(key, return_inverse=True)
        c = np.bincount(inv, weights=call_cents(cols.duration, rate, rules.call_pricing), minlength=len(keys))
        n = np.bincount(inv, minlength=len(keys))
        sec = np.bincount(inv, weights=cols.duration, minlength=len(keys))
        for k, cc, nn, ss in zip(keys.tolist(), c.tolist(), n.tolist(), sec.tolist(), strict=True):
            g = groups.setdefault(k, [0, 0, 0])
            g[0] += int(nn)
            g[1] += int(ss)
            g[2] += int(cc)
    rows = []
    for k in sorted(groups, key=lambda k: (users.names[k >> 20], k & 0xFFFFF)):
        n, sec, cc = groups[k]
        month = k & 0xFFFFF
        rows.append(
            {
                "user": users.names[k >> 20],
                "month": Month(month).text,
                "calls": n,
                "seconds": sec,
                "amount_eur": money(Decimal(cc) / 100),
            }
        )
    total = sum((r["amount_eur"] for r in rows), Decimal("0.00"))
    return {
        "contract": profile.name,
        "rate_per_minute": rate,
        "unit": rules.call_pricing,
        "clause": rules.call_pricing_clause,
        "total_eur": total,
        "rows": rows,
        "provenance": profile.provenance(),
    }


def late_payment(profile: Profile, *, amount: Decimal | str, due: date, paid_on: date) -> dict[str, Any]:
    """Interest for a late payment (1 % per month, 003 §2) and whether suspension was allowed (> 20 days)."""
    rules = billing_rules(profile)
    principal = _money(amount, "amount")
    if rules.late_interest_pct_per_month is None:
        raise InputError(f"profile {profile.name} sets no late-payment interest", field="billing")
    days = max((paid_on - due).days, 0)
    if rules.late_interest_basis == "started_month":
        months = _count(months_between(due, paid_on), "up") if days else Fraction(0)
    else:
        months = months_between(due, paid_on) if days else Fraction(0)
    rate = rules.late_interest_pct_per_month / 100
    interest = money(Decimal(months.numerator) / months.denominator * rate * principal)
    suspend = rules.suspension_after_days is not None and days > rules.suspension_after_days
    first_suspension = (
        due + timedelta(days=rules.suspension_after_days + 1) if rules.suspension_after_days else None
    )
    return {
        "contract": profile.name,
        "amount_eur": money(principal),
        "due": due,
        "paid_on": paid_on,
        "days_late": days,
        "months_late": float(round(Decimal(months.numerator) / months.denominator, 4)),
        "interest_eur": interest,
        "interest_clause": rules.late_interest_clause,
        "suspension_allowed": suspend,
        "suspension_from": first_suspension,
        "suspension_clause": rules.suspension_clause,
    }
