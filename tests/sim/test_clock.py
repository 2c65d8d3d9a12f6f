"""The crews' business clock agrees with contracts.calendar."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st
from rb_harness import budget

from contracts.calendar import from_epoch, to_epoch
from contracts.profile import load_profile
from sim.clock import BusinessClock

START = date(2026, 1, 1)
CAL = load_profile("alleo").calendar("67")  # Alsace-Moselle: Good Friday and 26 Dec off too
CLOCK = BusinessClock(CAL, START, 500)


@settings(max_examples=budget(200), deadline=None)
@given(st.floats(0, 380 * 1440), st.one_of(st.just(0.0), st.floats(0.01, 5000)))
def test_add_matches_calendar(t, minutes):
    got = CLOCK.add(t, minutes)
    when = from_epoch(CLOCK.origin + t * 60)
    ref = CAL.add_business_minutes(when, minutes) if minutes > 0 else CAL.next_business_instant(when)
    assert abs(got - (to_epoch(ref) - CLOCK.origin) / 60) < 1e-6


@settings(max_examples=budget(100), deadline=None)
@given(st.floats(0, 380 * 1440), st.floats(0, 20000))
def test_minutes_between_matches_calendar(a, span):
    b = a + span
    ref = CAL.business_minutes(from_epoch(CLOCK.origin + a * 60), from_epoch(CLOCK.origin + b * 60))
    assert abs(CLOCK.minutes_between(a, b) - ref) < 1e-6


def test_friday_evening_work_resumes_monday():
    # 2026-01-02 is a Friday: 17:00 + 120 business minutes → Monday 5 Jan 09:00 (ALLEO 08:00-18:00).
    t = (to_epoch(from_epoch(CLOCK.origin)) - CLOCK.origin) / 60 + 24 * 60 + 17 * 60
    end = from_epoch(CLOCK.origin + CLOCK.add(t, 120) * 60)
    assert (end.date(), end.hour) == (date(2026, 1, 5), 9)


def test_round_the_clock():
    c = BusinessClock(None, START, 10)
    assert c.add(100.0, 50.0) == 150.0
    assert c.minutes_between(10.0, 70.0) == 60.0


def test_iso_paris_matches_zoneinfo():
    from datetime import UTC, datetime

    import numpy as np

    from contracts.calendar import PARIS
    from sim.timefmt import iso_paris

    rng = np.random.default_rng(3)
    # random instants 1996-2090 plus the seconds around the 2026 DST changes
    xs = np.concatenate(
        [
            rng.integers(820454400, 3818448000, 3000),
            np.array([1774746000 - 1, 1774746000, 1792890000 - 1, 1792890000]),
        ]
    )
    want = [datetime.fromtimestamp(int(x), UTC).astimezone(PARIS).isoformat() for x in xs]
    assert iso_paris(xs) == want
