"""Fees the seeds leave to « tarifs standards »: install cancellation, a move's initial fees, link fees.

The seeds make these fees due without quoting an amount. Each profile's `fees:` section gives a
placeholder amount (`placeholder: true`) with the clause that makes it due; a scenario or a caller
overrides the amount (`fees_of(profile, {"cancellation_eur": "120"})`). `cancellation_charge` applies the
48-business-hour rule of 000 §7.3 (iv) and 002 §3.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from contracts.calendar import BusinessCalendar, to_epoch
from contracts.errors import InputError
from contracts.money import money
from contracts.profile import FEE_KEYS, Profile
from contracts.profile_spec import MAX_EUR

CANCELLATION_NOTICE_HOURS = 48  # 000 §7.3 (iv), 002 §3: « moins de quarante-huit (48) heures ouvrées »


@dataclass(frozen=True)
class Fee:
    """An amount in euros, the clause that makes it due, and whether it is a placeholder amount."""

    amount: Decimal
    clause: str
    placeholder: bool


@dataclass(frozen=True)
class Fees:
    """A profile's fees under the overrides in force (None: the profile has no such fee)."""

    cancellation: Fee | None = None
    move_initial: Fee | None = None
    link_fees: Fee | None = None


@dataclass(frozen=True)
class CancellationCharge:
    """What a customer's cancellation of an appointment costs, and why."""

    billed: bool
    business_hours_before: float
    amount_eur: Decimal
    clause: str


def _amount(raw: Any, key: str, where: str | None) -> Decimal:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
        raise InputError(f'expected an amount such as "120.00", got {raw!r}', file=where, field=key)
    try:
        d = Decimal(str(raw).strip().replace(",", "."))
    except ArithmeticError:
        raise InputError(f"not an amount: {raw!r}", file=where, field=key) from None
    if not d.is_finite() or not 0 <= d <= MAX_EUR:
        raise InputError(f"an amount must be from 0 to {MAX_EUR} €, got {raw!r}", file=where, field=key)
    return money(d)


def fees_of(profile: Profile, overrides: Mapping[str, Any] | None = None, *, file: str | None = None) -> Fees:
    """The profile's fees, with `overrides` ({key: amount}) replacing the placeholder amounts.

    An unknown key, a fee the profile does not have or a bad amount is an InputError naming the key (and
    `file`, the scenario that gave the overrides, when known)."""
    overrides = dict(overrides or {})
    for key in overrides:
        if key not in FEE_KEYS:
            raise InputError(f"unknown fee; one of {', '.join(FEE_KEYS)}", file=file, field=key)
        if key not in profile.fees:
            have = ", ".join(profile.fees) or "none"
            raise InputError(
                f"profile {profile.name} has no such fee (its fees: {have})", file=file, field=key
            )
    out: dict[str, Fee | None] = {}
    for key in FEE_KEYS:
        spec = profile.fees.get(key)
        if spec is None:
            out[key] = None
        elif key in overrides:
            out[key] = Fee(_amount(overrides[key], key, file), spec.clause, False)
        else:
            out[key] = Fee(_amount(spec.value, key, profile.path), spec.clause, spec.placeholder)
    return Fees(out["cancellation_eur"], out["move_initial_eur"], out["link_fees_eur"])


def cancellation_charge(
    profile: Profile,
    calendar: BusinessCalendar,
    appointment: datetime,
    cancelled_at: datetime,
    fees: Fees,
) -> CancellationCharge:
    """The charge for a customer's cancellation of an install appointment at `cancelled_at`.

    Billed when it comes less than 48 business hours before the appointment: hours inside the business
    window of `calendar` (the site's calendar: ALLEO's Heures Ouvrables, ProgetCom's 5/7 window), from
    the cancellation to the appointment. A cancellation at or after the appointment has 0 hours left."""
    early = to_epoch(cancelled_at) < to_epoch(appointment)
    secs = calendar.business_seconds(cancelled_at, appointment) if early else 0
    hours = secs / 3600
    fee = fees.cancellation
    if fee is None:
        why = f"profile {profile.name}: its seed bills no cancellation of an install appointment"
        return CancellationCharge(False, hours, Decimal("0.00"), why)
    billed = secs < CANCELLATION_NOTICE_HOURS * 3600  # 000 §7.3 (iv), 002 §3
    return CancellationCharge(billed, hours, fee.amount if billed else Decimal("0.00"), fee.clause)
