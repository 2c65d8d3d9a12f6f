"""Install appointments on working days (000 §3.3), postponement, cancellations billed under 48 business
hours (000 §7.3 (iv), 002 §3)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import numpy as np
import pytest
from sim_helpers import write

from contracts.calendar import PARIS
from contracts.errors import InputError
from contracts.fees import cancellation_charge, fees_of
from contracts.profile import load_profile
from sim.choices import AppointmentDays
from sim.installs import (
    APPOINTMENT_MINUTE,
    CANCEL_DRAWS,
    appointment_day,
    postponement_granted,
    simulate_install,
)
from sim.scenario import Installs, load_scenario

ALLEO = load_profile("alleo")


def _draws(seed: int):
    rng = np.random.default_rng(seed)
    return rng.random(CANCEL_DRAWS), rng.standard_exponential(CANCEL_DRAWS)


CAL = ALLEO.calendar("75")


def test_appointment_falls_on_a_business_day_of_the_window():
    # E-mail Friday 2026-12-18: the window is Wed 23 … Mon 28 December. 25 December is a public holiday
    # and 26–27 a weekend: under `business` only 23, 24 and 28 remain; under `any` all six days.
    email = date(2026, 12, 18)
    days = {
        appointment_day(np.random.default_rng(s), email, AppointmentDays.business, CAL) for s in range(60)
    }
    assert days == {date(2026, 12, 23), date(2026, 12, 24), date(2026, 12, 28)}
    anyday = {appointment_day(np.random.default_rng(s), email, AppointmentDays.any, CAL) for s in range(200)}
    assert anyday == {date(2026, 12, d) for d in range(23, 29)}


def test_postponement_asked_within_3_business_days_of_the_email():
    # E-mail Thursday 2026-04-02; Good Friday is no holiday in Paris, Easter Monday 04-06 is: the 3
    # business days are Fri 3, Tue 7, Wed 8. Asked on Wed 8: granted; on Thu 9: the date stands.
    email = date(2026, 4, 2)
    assert postponement_granted(CAL, email, date(2026, 4, 8))
    assert not postponement_granted(CAL, email, date(2026, 4, 9))
    # in Alsace-Moselle Good Friday is off too (CONTRACTS §1): Tue 7, Wed 8, Thu 9
    assert postponement_granted(ALLEO.calendar("67"), email, date(2026, 4, 9))


@pytest.mark.parametrize("seed", range(30))
def test_every_service_start_is_a_business_day(seed):
    x = simulate_install(
        np.random.default_rng(seed),
        Installs(postpone=0.5, missed_appointment=0.3, cancel=0.5),
        CAL,
        site="s",
        profile="alleo",
        handsets=4,
        signed=date(2026, 11, 20),
        cancel_draws=_draws(seed + 1000),
    )
    if x.service_start is not None:
        assert CAL.is_business_day(x.service_start)
    for a, b in zip(x.cancellations, x.cancellations[1:], strict=False):
        assert a.appointment_at < b.appointment_at and a.cancelled_at <= b.cancelled_at  # rebooked later
    for c in x.cancellations:
        assert CAL.is_business_day(c.appointment_at.date()) and c.cancelled_at < c.appointment_at


def test_cancellation_draws_do_not_move_the_other_draws():
    # the cancellations' own stream: without cancellations the install is that of cancel = 0
    kw = {"site": "s", "profile": "alleo", "handsets": 4, "signed": date(2026, 3, 2)}
    for seed in range(20):
        a = simulate_install(np.random.default_rng(seed), Installs(), CAL, **kw)
        b = simulate_install(
            np.random.default_rng(seed), Installs(cancel=0.0), CAL, cancel_draws=_draws(7), **kw
        )
        assert a == b


def test_a_cancellation_is_booked_again_later_by_the_customer():
    kw = {"site": "s", "profile": "alleo", "handsets": 4, "signed": date(2026, 3, 2)}
    p = Installs(missed_appointment=0, major_nonconformity=0, postpone=0, rebook_business_days=5)
    base = simulate_install(np.random.default_rng(3), p, CAL, **kw)
    p1 = p.model_copy(update={"cancel": 1.0})
    x = simulate_install(np.random.default_rng(3), p1, CAL, cancel_draws=_draws(1), **kw)
    assert len(x.cancellations) == 3  # MAX_CANCELLATIONS, then the appointment is kept
    assert x.cancellations[0].appointment_at.date() == base.service_start
    assert x.service_start == CAL.add_business_days(base.service_start, 15)
    assert x.appointments == 1


# Worked case (000 §7.3 (iv), Heures Ouvrables Mon–Fri 8h–18h): appointment Tue 2026-03-10 09:00.
# Cancelled Fri 06 10:00: Fri 8 h + Mon 10 h + Tue 1 h = 19 business hours before → billed.
# Cancelled Tue 03 09:00: Tue 9 + Wed–Fri 30 + Mon 10 + Tue 1 = 50 business hours → not billed.
@pytest.mark.parametrize(
    ("cancelled", "hours", "billed"),
    [(datetime(2026, 3, 6, 10), 19.0, True), (datetime(2026, 3, 3, 9), 50.0, False)],
)
def test_cancellation_under_48_business_hours_is_billed(cancelled, hours, billed):
    appointment = datetime(2026, 3, 10, APPOINTMENT_MINUTE // 60, tzinfo=PARIS)
    fees = fees_of(ALLEO, {"cancellation_eur": "120.00"})
    ch = cancellation_charge(ALLEO, CAL, appointment, cancelled.replace(tzinfo=PARIS), fees)
    assert ch.business_hours_before == hours
    assert ch.billed is billed
    assert ch.amount_eur == (Decimal("120.00") if billed else Decimal("0.00"))


def test_install_on_a_profile_without_install_clause_is_refused(tmp_path, scenario_dict):
    scenario_dict["site_groups"][0]["install"] = True  # an ALLSET group: 001 has no install clause
    with pytest.raises(InputError) as e:
        load_scenario(write(tmp_path, scenario_dict))
    assert e.value.field == "site_groups.0.install" and "no install clause" in e.value.reason


def test_progetcom_installs_go_through_the_same_appointments(tmp_path, scenario_dict):
    scenario_dict["site_groups"][2]["install"] = True
    scenario_dict["installs"] = {"cancel": 0.5, "cancel_before": {"law": "fixed", "mean_minutes": 60}}
    s = load_scenario(write(tmp_path, scenario_dict))
    from sim.replication import lifecycle, run_replication

    life = lifecycle(s, 5)
    pg = [x for x in life.installs.values() if x.profile == "progetcom"]
    assert len(pg) == 4 and all(CAL.is_business_day(x.service_start) for x in pg if x.service_start)
    cancelled = sum(len(x.cancellations) for x in pg)
    assert cancelled > 0
    m = run_replication(s, 0, 5).metrics
    # an hour before the appointment: always under 48 business hours, always billed (002 §3)
    assert m["cancellations"]["progetcom"] == m["cancellations_billed"]["progetcom"] == cancelled
    fee = fees_of(load_profile("progetcom")).cancellation.amount
    assert m["cancellation_fees_eur"]["progetcom"] == float(fee * cancelled)


def test_a_higher_cancel_probability_cancels_a_superset_site_by_site(tmp_path, scenario_dict):
    # each site has its own cancellation draws: the same uniform compared with 0.2 and with 0.5
    from sim.replication import lifecycle

    scenario_dict["site_groups"][1]["count"] = 40

    def first_cancelled(p):
        scenario_dict["installs"] = {"cancel": p}
        life = lifecycle(load_scenario(write(tmp_path, scenario_dict)), 9)
        return {x.site: x.cancellations[0].appointment_at for x in life.installs.values() if x.cancellations}

    low, high = first_cancelled(0.2), first_cancelled(0.5)
    assert low and len(high) > len(low)
    assert all(high.get(site) == at for site, at in low.items())
