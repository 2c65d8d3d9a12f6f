"""Business calendars: hand-computed edges, DST, holidays, and properties against a per-minute count."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from rb_harness import budget

from contracts.calendar import PARIS, BusinessCalendar, weekly_window
from contracts.month import Month
from contracts.profile import load_profile

ALLEO = load_profile("alleo").calendar()
PROGETCOM = load_profile("progetcom").calendar()
ALLEO_57 = load_profile("alleo").calendar("57")
WALL = BusinessCalendar.wallclock()


def t(s: str) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=PARIS)


def per_minute(cal: BusinessCalendar, a: datetime, b: datetime) -> int:
    """The slow baseline: walk real minutes and test each against the local window."""
    n, x = 0, a.astimezone(PARIS)
    while x < b:
        loc = x.astimezone(PARIS)
        w = cal.window[loc.weekday()]
        if w and cal.is_business_day(loc.date()) and w[0] <= loc.hour * 60 + loc.minute < w[1]:
            n += 1
        x = (x.astimezone(PARIS) + timedelta(minutes=1)).astimezone(PARIS)
        x = datetime.fromtimestamp(x.timestamp(), PARIS)
    return n


def test_weekend():
    assert ALLEO.business_minutes(t("2026-03-06T17:00"), t("2026-03-09T10:00")) == 180
    assert PROGETCOM.business_minutes(t("2026-03-06T17:00"), t("2026-03-09T10:00")) == 120


def test_easter_monday_and_alsace_moselle_good_friday():
    a, b = t("2026-04-03T16:00"), t("2026-04-07T09:30")
    assert ALLEO.business_minutes(a, b) == 210
    assert ALLEO_57.business_minutes(a, b) == 90  # Good Friday off in 57/67/68


def test_holidays_ascension_whit_monday_christmas():
    assert ALLEO.business_minutes(t("2026-05-13T15:00"), t("2026-05-15T10:00")) == 300
    assert ALLEO.business_minutes(t("2026-05-25T09:00"), t("2026-05-25T17:00")) == 0
    assert ALLEO.business_minutes(t("2026-12-24T17:00"), t("2026-12-28T09:00")) == 120
    assert ALLEO_57.is_business_day(date(2026, 12, 26)) is False


def test_dst_days_wallclock_real_minutes():
    assert WALL.business_minutes(t("2026-03-28T22:00"), t("2026-03-30T08:30")) == 2010
    assert WALL.business_minutes(t("2026-10-24T20:00"), t("2026-10-25T06:00")) == 660
    assert ALLEO.business_minutes(t("2026-03-28T22:00"), t("2026-03-30T08:30")) == 30


def test_month_minutes_and_business_days():
    assert Month.of(2026, 3).minutes == 44_580
    assert Month.of(2026, 10).minutes == 44_700
    assert Month.of(2026, 2).minutes == 40_320
    assert ALLEO.business_days_in_month(2026, 5) == 17  # §13: denominator 10,200 min
    assert ALLEO.business_days_in_month(2026, 2) == 20


def test_notified_outside_hours():
    assert ALLEO.business_minutes(t("2026-06-09T06:30"), t("2026-06-09T08:45")) == 45
    assert ALLEO.business_minutes(t("2026-06-16T19:00"), t("2026-06-17T09:10")) == 70
    assert ALLEO.next_business_instant(t("2026-06-20T10:00")) == t("2026-06-22T08:00")
    assert ALLEO.next_business_instant(t("2026-06-22T09:13")) == t("2026-06-22T09:13")
    assert ALLEO.next_business_instant(t("2026-07-13T18:00")) == t("2026-07-15T08:00")  # 14 July off


def test_add_business_minutes_and_days():
    assert ALLEO.add_business_minutes(t("2026-06-19T17:00"), 120) == t("2026-06-22T09:00")
    assert ALLEO.add_business_minutes(t("2026-06-20T12:00"), 600) == t("2026-06-22T18:00")
    assert ALLEO.add_business_days(date(2026, 4, 30), 1) == date(2026, 5, 4)
    assert ALLEO.business_days_between(date(2026, 4, 30), date(2026, 5, 4)) == 1
    assert ALLEO.add_business_days(date(2026, 5, 4), -1) == date(2026, 4, 30)
    d = date(2026, 1, 2)
    assert ALLEO.business_days_between(d, ALLEO.add_business_days(d, 20)) == 20


def test_vectorised_equals_scalar():
    rng = np.random.default_rng(3)
    a = rng.integers(1_767_222_000, 1_798_758_000, 2000)
    b = a + rng.integers(0, 10 * 86400, 2000)
    vec = ALLEO.business_minutes_array(a, b)
    sc = [
        ALLEO.business_minutes(datetime.fromtimestamp(x, PARIS), datetime.fromtimestamp(y, PARIS))
        for x, y in zip(a, b, strict=True)
    ]
    assert np.array_equal(vec, np.array(sc))


def test_window_crossing_dst_is_real_minutes():
    cal = BusinessCalendar(weekly_window({d: "00:00-24:00" for d in ("sat", "sun")}), holidays_off=False)
    assert cal.business_minutes(t("2026-03-28T00:00"), t("2026-03-30T00:00")) == 47 * 60
    assert cal.business_minutes(t("2026-10-24T00:00"), t("2026-10-26T00:00")) == 49 * 60


instants = st.integers(min_value=1_767_222_000, max_value=1_798_758_000)


@settings(max_examples=budget(60), deadline=None)
@given(instants, st.integers(0, 12 * 86400), st.integers(0, 12 * 86400))
def test_additive_and_bounded(a, d1, d2):
    a, m, b = a, a + d1, a + d1 + d2
    for cal in (ALLEO, PROGETCOM, ALLEO_57):
        f = cal.business_seconds_array
        whole = f(np.array([a]), np.array([b]))[0]
        assert whole == f(np.array([a]), np.array([m]))[0] + f(np.array([m]), np.array([b]))[0]
        assert whole <= b - a


@settings(max_examples=budget(25), deadline=None)
@given(st.integers(1_767_222_000 // 60, 1_798_758_000 // 60), st.integers(0, 4 * 1440))
def test_matches_per_minute_loop(a_min, dur):
    a = datetime.fromtimestamp(a_min * 60, PARIS)
    b = a + timedelta(minutes=dur)
    assert ALLEO.business_minutes(a, b) == per_minute(ALLEO, a, b)


@settings(max_examples=budget(40), deadline=None)
@given(instants, st.floats(0, 20_000))
def test_add_business_minutes_inverts(a, minutes):
    start = datetime.fromtimestamp(a, PARIS)
    end = ALLEO.add_business_minutes(start, minutes)
    assert abs(ALLEO.business_minutes(start, end) - minutes) < 1e-3


def test_epoch_to_iso_and_local_date_match_zoneinfo():
    from contracts.calendar import epoch_to_iso, epoch_to_local_date, from_epoch

    edges = [1774746000 - 1, 1774746000, 1792890000 - 1, 1792890000, 1792886400, 1767222000]
    sample = np.concatenate([np.random.default_rng(5).integers(1_700_000_000, 1_850_000_000, 3000), edges])
    iso, days = epoch_to_iso(sample), epoch_to_local_date(sample)
    for k, x in enumerate(sample.tolist()):
        assert iso[k] == from_epoch(x).isoformat() and days[k] == from_epoch(x).date()


def test_add_business_minutes_never_goes_back_in_time():
    """A vanishing minute count from a weekend instant lands at the next window, not the last one."""
    cal = load_profile("alleo").calendar()
    saturday = datetime(2026, 1, 3, 12, 0, tzinfo=PARIS)
    got = cal.add_business_minutes(saturday, 1e-300)
    assert got >= saturday
    assert got == datetime(2026, 1, 5, 8, 0, tzinfo=PARIS)


def test_jour_ouvrable_is_one_choice_and_one_calendar():
    """ARCEP 2013-0830 « jour ouvrable »: Monday-Saturday, holidays off (mon_sat) or the jours ouvrés."""
    from contracts.profile import load_profile

    for name in ("alleo", "allset", "progetcom", "allocloud"):
        j = load_profile(name).jours_ouvrables()
        assert j.add_business_days(date(2026, 1, 2), 1) == date(2026, 1, 3)  # Friday → Saturday
        assert j.add_business_days(date(2026, 1, 3), 1) == date(2026, 1, 5)  # Saturday → Monday
        assert j.add_business_days(date(2026, 4, 30), 1) == date(2026, 5, 2)  # 1 May is off
        jo = load_profile(name, {"jour_ouvrable": "business_days"}).jours_ouvrables()
        assert jo.add_business_days(date(2026, 1, 2), 1) == date(2026, 1, 5)  # Friday → Monday
    alleo = load_profile("alleo")
    assert alleo.jours_ouvrables("57").add_business_days(date(2026, 4, 2), 1) == date(
        2026, 4, 4
    )  # Good Friday
    assert alleo.jours_ouvrables("75").add_business_days(date(2026, 4, 2), 1) == date(2026, 4, 3)
