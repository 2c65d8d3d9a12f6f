"""Porting per site: only after service start (000 §2.3), 1 jour ouvrable (ARCEP 2013-0830)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from contracts.choices import RejectionReason
from contracts.profile import load_profile
from sim.choices import PortingOutcome
from sim.porting import simulate_port
from sim.scenario import Porting

CAL = load_profile("alleo").calendar("75")
JO = load_profile("alleo").jours_ouvrables("75")


def test_ports_take_effect_one_jour_ouvrable_after_submission():
    # Service start Wed 2026-01-07; submitted 2 jours ouvrés later, Fri 01-09; ARCEP 2013-0830: ported
    # 1 jour ouvrable later: Sat 01-10 under the default `jour_ouvrable: mon_sat`, Mon 01-12 under
    # `business_days` (the profile's jours ouvrés).
    p = Porting(reject=0, expire=0)
    for choice, ported in (("mon_sat", date(2026, 1, 10)), ("business_days", date(2026, 1, 12))):
        jo = load_profile("alleo", {"jour_ouvrable": choice}).jours_ouvrables("75")
        x = simulate_port(
            np.random.default_rng(0),
            p,
            CAL.add_business_days,
            jo.add_business_days,
            site="s",
            service_start=date(2026, 1, 7),
        )
        assert (x.submitted_at, x.ported_at) == (date(2026, 1, 9), ported)
    assert JO.add_business_days(date(2026, 1, 3), 1) == date(2026, 1, 5)  # Saturday → Monday
    assert JO.add_business_days(date(2026, 4, 30), 1) == date(2026, 5, 2)  # 1 May is off


@pytest.mark.parametrize("seed", range(30))
def test_port_after_service_start(seed):
    p = Porting(reject=0.3, expire=0.1, resubmit=0.5)
    start = date(2026, 5, 12)
    x = simulate_port(
        np.random.default_rng(seed),
        p,
        CAL.add_business_days,
        JO.add_business_days,
        site="s1",
        service_start=start,
    )
    assert x.submitted_at > start
    if x.outcome in (PortingOutcome.ported, PortingOutcome.resubmitted_ported):
        assert x.ported_at > start
    else:
        assert x.ported_at is None
    if x.outcome in (PortingOutcome.rejected, PortingOutcome.resubmitted_ported):
        assert x.reason in {r.value for r in RejectionReason}


def test_every_outcome_occurs():
    p = Porting(reject=0.3, expire=0.1, resubmit=0.5)
    outcomes = {
        simulate_port(
            np.random.default_rng(s),
            p,
            CAL.add_business_days,
            JO.add_business_days,
            site="s",
            service_start=date(2026, 5, 12),
        ).outcome
        for s in range(200)
    }
    assert outcomes == set(PortingOutcome)
