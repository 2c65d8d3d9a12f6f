"""Month: one type for the month key, its text, its Paris bounds and its neighbours."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from contracts.calendar import PARIS
from contracts.errors import InputError
from contracts.month import Month, add_months, months_from


def test_key_text_and_parts():
    m = Month.parse("2026-03")
    assert m == 2026 * 12 + 2 and isinstance(m, int)
    assert (m.year, m.number, m.text) == (2026, 3, "2026-03")
    assert Month.of(2026, 12).shift(1).text == "2027-01"
    assert {m: "x"}[2026 * 12 + 2] == "x"  # a Month is the same dict key as its int


def test_bounds_are_paris_instants():
    march = Month.of(2026, 3)
    assert march.first_instant == int(datetime(2026, 3, 1, tzinfo=PARIS).timestamp())
    assert march.end_instant == Month.of(2026, 4).first_instant
    assert march.minutes == 44_580  # the spring change takes an hour (CONTRACTS §13)
    assert Month.at(march.first_instant) == march and Month.at(march.first_instant - 1) == march.shift(-1)


def test_last_day_and_previous_months():
    assert Month.of(2024, 2).last_day == date(2024, 2, 29) and Month.of(2025, 2).days == 28
    assert [m.text for m in Month.parse("2026-02").previous(3)] == ["2025-11", "2025-12", "2026-01"]
    assert Month.containing(date(2026, 1, 31)) == Month.of(2026, 1)


@pytest.mark.parametrize("text", ["2026-13", "2026-3", "26-03", "1899-12", "2200-01", "march"])
def test_bad_month_is_located(text):
    with pytest.raises(InputError, match="bad month") as err:
        Month.parse(text, file="billing.csv", line=4)
    assert (err.value.file, err.value.line, err.value.field) == ("billing.csv", 4, "month")


def test_add_months_clamps_and_months_from_covers_the_span():
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2025, 11, 15), 3) == date(2026, 2, 15)
    assert [m.text for m in months_from(date(2026, 1, 15), date(2026, 3, 1))] == ["2026-01", "2026-02"]
    assert [m.text for m in months_from(date(2026, 1, 15), date(2026, 3, 2))][-1] == "2026-03"
