"""The ALLEO install lifecycle (000 §3) and the customer-caused reading of the delay (000 §5.2)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from contracts.profile import load_profile
from sim.choices import InstallOutcome
from sim.installs import MAX_APPOINTMENTS, simulate_install
from sim.scenario import Installs

CAL = load_profile("alleo").calendar("75")


def _run(seed: int, **kw):
    p = Installs(**kw)
    return simulate_install(
        np.random.default_rng(seed), p, CAL, site="s", profile="alleo", handsets=8, signed=date(2026, 3, 2)
    )


def test_indicative_date_is_business_days_after_signature():
    x = _run(1, indicative_business_days=15)
    assert x.indicative_date == CAL.add_business_days(date(2026, 3, 2), 15)


@pytest.mark.parametrize("seed", range(40))
def test_lifecycle_invariants(seed):
    x = _run(seed, prerequisites_fail=0.5, postpone=0.5, major_nonconformity=0.4, missed_appointment=0.3)
    assert 1 <= x.appointments <= MAX_APPOINTMENTS  # 000 §3.3: at most 3 install appointments
    if x.outcome is InstallOutcome.in_service:
        # earliest possible install: audit (5 bd) + e-mail (2 bd) + 5 calendar days (000 §3.3)
        earliest = CAL.add_business_days(CAL.add_business_days(date(2026, 3, 2), 5), 2)
        assert (x.service_start - earliest).days >= 5
    else:
        assert x.service_start is None and x.appointments == MAX_APPOINTMENTS


def test_install_date_5_to_10_calendar_days_after_the_email():
    # No random delay but the install-date draw: service start - e-mail date is within 5..10 days.
    seen = set()
    for seed in range(60):
        x = _run(
            seed,
            prerequisites_fail=0,
            postpone=0,
            major_nonconformity=0,
            missed_appointment=0,
            link_delivery_business_days=0,
            audit_business_days=5,
            email_business_days=2,
        )
        email = CAL.add_business_days(CAL.add_business_days(date(2026, 3, 2), 5), 2)
        seen.add((x.service_start - email).days)
        assert x.appointments == 1 and not x.customer_caused
    assert seen <= set(range(5, 11)) and len(seen) >= 4


def test_postponement_at_most_8_business_days_or_refused_when_asked_late():
    outcomes = set()
    for seed in range(40):
        base = _run(seed, postpone=0, missed_appointment=0, major_nonconformity=0, prerequisites_fail=0)
        moved = _run(seed, postpone=1.0, missed_appointment=0, major_nonconformity=0, prerequisites_fail=0)
        gap = CAL.business_days_between(base.service_start, moved.service_start)
        if moved.postpone_refused:  # asked after 3 business days: the date is deemed accepted (000 §3.3)
            assert gap == 0 and not base.postpone_refused
        else:
            assert 1 <= gap <= 8  # 000 §3.3
        outcomes.add(moved.postpone_refused)
    assert outcomes == {True, False}


def test_three_missed_appointments_terminate_and_blame_the_customer():
    x = _run(3, missed_appointment=1.0)
    assert x.outcome is InstallOutcome.terminated
    assert x.appointments == 3 and x.customer_caused


def test_persistent_major_nonconformity_terminates_after_third_appointment():
    x = _run(3, missed_appointment=0, major_nonconformity=1.0)
    assert x.outcome is InstallOutcome.terminated and x.appointments == 3 and not x.customer_caused


def test_late_because_of_the_customer_is_customer_caused():
    # The customer takes ~60 days to meet the prerequisites; the provider itself is quick.
    x = _run(
        5,
        prerequisites_fail=1.0,
        prerequisites_fix_days={"law": "fixed", "mean_minutes": 60 * 1440},
        link_delivery_business_days=0,
        postpone=0,
        major_nonconformity=0,
        missed_appointment=0,
        indicative_business_days=10,
    )
    assert CAL.business_days_between(x.indicative_date, x.service_start) > 20
    assert x.customer_caused


def test_late_because_of_the_provider_is_not_customer_caused():
    late = 0
    for seed in range(30):
        y = _run(
            seed,
            prerequisites_fail=0,
            link_delivery_business_days=40,
            postpone=0,
            missed_appointment=0,
            major_nonconformity=0,
            indicative_business_days=5,
        )
        if CAL.business_days_between(y.indicative_date, y.service_start) > 20:
            late += 1
            assert not y.customer_caused  # the OBL's slow link is not the customer's doing
    assert late >= 5
