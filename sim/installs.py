"""The install lifecycle (ALLEO 000 §3): indicative date, audit, install date, postponement, appointments,
cancellations. ProgetCom's install appointment (002 §3) goes through the same steps.

Days, not minutes: every step is dated to the day; appointments are at 09:00 and the service starts at
noon of its day. The install credit itself (000 §5.2) is computed by the SLA engine from installs.csv and
a cancellation's charge by `contracts.fees.cancellation_charge`; here we only record what happened and
whether the delay was the customer's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np

from contracts.calendar import PARIS, BusinessCalendar, local_epoch
from sim.choices import AppointmentDays, DurationLaw, InstallOutcome
from sim.scenario import Duration, Installs

SERVICE_START_MINUTE = 12 * 60  # installs are done in the morning; calls work from noon
APPOINTMENT_MINUTE = 9 * 60  # an install appointment starts at 09:00 local time
MAX_APPOINTMENTS = 3  # 000 §3.3
POSTPONE_WITHIN_BUSINESS_DAYS = 3  # 000 §3.3: « dans les trois (3) jours ouvrés suivant l'envoi »
MAX_CANCELLATIONS = 3  # a bound of the model (not a clause): a customer cancels at most 3 times
CANCEL_DRAWS = MAX_APPOINTMENTS + MAX_CANCELLATIONS  # booked dates an install can have at most


@dataclass(frozen=True)
class Cancellation:
    """The customer cancelled the appointment of `appointment_at` at `cancelled_at` (Paris instants)."""

    appointment_at: datetime
    cancelled_at: datetime


@dataclass(frozen=True)
class Install:
    """What happened to one site's install."""

    site: str
    profile: str
    handsets: int
    signed: date
    indicative_date: date
    service_start: date | None
    customer_caused: bool
    appointments: int
    outcome: InstallOutcome
    reservations: bool = False
    cancellations: tuple[Cancellation, ...] = ()
    postpone_refused: bool = False  # the customer asked too late: the date stood (000 §3.3)


def _minutes(rng: np.random.Generator, d: Duration) -> float:
    return d.mean_minutes if d.law is DurationLaw.fixed else float(rng.exponential(d.mean_minutes))


def _days(rng: np.random.Generator, d: Duration) -> int:
    return math.ceil(_minutes(rng, d) / 1440)


def appointment_day(
    rng: np.random.Generator, email: date, days: AppointmentDays, cal: BusinessCalendar
) -> date:
    """The install date, 5 to 10 calendar days after the e-mail (000 §3.3), drawn uniformly among the
    window's business days of `cal` under `days: business` (the first business day after the window if it
    had none), among all its days under `any`."""
    window = [email + timedelta(days=k) for k in range(5, 11)]
    if days is AppointmentDays.business:
        window = [d for d in window if cal.is_business_day(d)] or [cal.add_business_days(window[-1], 1)]
    return window[int(rng.integers(len(window)))]


def postponement_granted(cal: BusinessCalendar, email: date, asked: date) -> bool:
    """000 §3.3: a postponement is granted when asked « dans les trois (3) jours ouvrés suivant l'envoi »
    of the e-mail (at the latest on its 3rd business day after); later the date is deemed accepted."""
    return asked <= cal.add_business_days(email, POSTPONE_WITHIN_BUSINESS_DAYS)


def _at(d: date, minute: int) -> datetime:
    return datetime(d.year, d.month, d.day, minute // 60, minute % 60, tzinfo=PARIS)


def simulate_install(
    rng: np.random.Generator,
    p: Installs,
    cal: BusinessCalendar,
    *,
    site: str,
    profile: str,
    handsets: int,
    signed: date,
    late_after_business_days: int = 20,
    cancel_draws: tuple[np.ndarray, np.ndarray] | None = None,
) -> Install:
    """Run one site through 000 §3 and return its record.

    `late_after_business_days` (000 §5.2, from the profile) only decides `customer_caused`: the delay is
    the customer's when, without the days the customer caused, service would have started in time.
    `cancel_draws` are the site's own cancellation draws, `CANCEL_DRAWS` uniforms and as many standard
    exponentials (drawn in bulk for the fleet from their own stream, so neither the other draws nor
    another site's move with `p.cancel`); without them nothing is cancelled.
    """
    customer_days = 0
    # 000 §3.1: an indicative service-start date once the signed documents are received.
    indicative = cal.add_business_days(signed, p.indicative_business_days)
    # 000 §3.2: site audit; unmet prerequisites are fixed by the customer, at its cost and time.
    ready = cal.add_business_days(signed, p.audit_business_days)
    if rng.random() < p.prerequisites_fail:
        fix = _days(rng, p.prerequisites_fix_days)
        ready += timedelta(days=fix)
        customer_days += fix
    # 000 §3.1: the provider orders the access link from the OBL; the site is ready when both are done.
    delivered = cal.add_business_days(signed, math.ceil(rng.exponential(p.link_delivery_business_days)))
    ready = max(ready, delivered)
    email = cal.add_business_days(ready, p.email_business_days)
    when = appointment_day(rng, email, p.appointment_days, cal)
    # 000 §3.3: a postponement asked within 3 business days of the e-mail gives a new date at most 8
    # business days after the first one; asked later, the date is deemed accepted and stands. The
    # customer asks 1 to 5 business days after the e-mail.
    refused = False
    booked = _at(email, APPOINTMENT_MINUTE)  # when the current date was set: none is cancelled before
    if rng.random() < p.postpone:
        asked = cal.add_business_days(email, int(rng.integers(1, 6)))
        new = cal.add_business_days(when, int(rng.integers(1, 9)))
        if postponement_granted(cal, email, asked):
            customer_days += (new - when).days
            when = new
            booked = _at(asked, APPOINTMENT_MINUTE)
        else:
            refused = True
    appointments = 0
    missed_in_a_row = 0
    start: date | None = None
    reservations = False
    outcome = InstallOutcome.terminated
    cancelled: list[Cancellation] = []
    while appointments < MAX_APPOINTMENTS:
        if cancel_draws is not None and len(cancelled) < MAX_CANCELLATIONS:
            k = appointments + len(cancelled)  # the k-th booked date
            d = p.cancel_before
            lead = d.mean_minutes * (1.0 if d.law is DurationLaw.fixed else float(cancel_draws[1][k]))
            if cancel_draws[0][k] < p.cancel:
                # 000 §7.3 (iv), 002 §3: the customer cancels `lead` minutes before (at the earliest
                # when the date was set); booked again later.
                at = _at(when, APPOINTMENT_MINUTE)
                booked = max(at - timedelta(minutes=lead), booked)
                cancelled.append(Cancellation(at, booked))
                nxt = cal.add_business_days(when, p.rebook_business_days)
                customer_days += (nxt - when).days
                when = nxt
                continue
        appointments += 1
        u = rng.random()
        if u < p.missed_appointment:
            # 000 §3.3: the customer misses the appointment (3 consecutive: the provider may not activate).
            missed_in_a_row += 1
            booked = _at(when, APPOINTMENT_MINUTE)
            nxt = cal.add_business_days(when, p.retest_business_days)
            customer_days += (nxt - when).days
            when = nxt
            continue
        missed_in_a_row = 0
        u = rng.random()
        if u < p.major_nonconformity:
            # 000 §3.3: a major non-conformity prevents use: the PV is postponed, re-test on a date the
            # provider sets; persisting after the 3rd appointment, the provider may terminate.
            booked = _at(when, APPOINTMENT_MINUTE)
            when = cal.add_business_days(when, p.retest_business_days)
            continue
        # 000 §3.3: service start = the earlier of PV signature and the first day calls can be made. With
        # minor reservations calls already work, so the service starts at this appointment either way.
        reservations = u < p.major_nonconformity + p.minor_reservations
        start = when
        outcome = InstallOutcome.in_service
        break
    customer_caused = False
    if start is not None and customer_days:
        late = cal.business_days_between(indicative, start) > late_after_business_days
        without = cal.business_days_between(indicative, start - timedelta(days=customer_days))
        customer_caused = late and without <= late_after_business_days
    elif start is None:
        customer_caused = missed_in_a_row >= MAX_APPOINTMENTS
    return Install(
        site,
        profile,
        handsets,
        signed,
        indicative,
        start,
        customer_caused,
        appointments,
        outcome,
        reservations,
        tuple(cancelled),
        refused,
    )


def service_start_minute(start: date | None, origin_epoch: int) -> float:
    """Simulation minute at which a site enters service (inf when it never does)."""
    if start is None:
        return math.inf
    return (local_epoch(start, SERVICE_START_MINUTE) - origin_epoch) / 60.0
