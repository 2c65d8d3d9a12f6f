"""Fees left to « tarifs standards » (000 §3.5, §6.4, §7.3 (iv), 002 §3): placeholders, overrides and the
48-business-hour cancellation rule, hand-computed on the seeds' calendars."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from contracts.errors import InputError
from contracts.fees import cancellation_charge, fees_of
from contracts.profile import load_profile


def test_placeholders_and_overrides():
    alleo = fees_of(load_profile("alleo"))
    assert alleo.cancellation.amount == Decimal("150.00") and alleo.cancellation.placeholder
    assert alleo.cancellation.clause.startswith("000 §7.3 (iv)")
    assert alleo.move_initial.clause.startswith("000 §3.5") and alleo.link_fees.clause.startswith("000 §6.4")
    mine = fees_of(load_profile("alleo"), {"cancellation_eur": "120", "link_fees_eur": "12,5"})
    assert mine.cancellation.amount == Decimal("120.00") and not mine.cancellation.placeholder
    assert mine.link_fees.amount == Decimal("12.50") and mine.move_initial.placeholder
    pc = fees_of(load_profile("progetcom"))
    assert pc.cancellation.clause.startswith("002 §3") and pc.move_initial is None and pc.link_fees is None
    assert fees_of(load_profile("allset")) == fees_of(load_profile("allocloud"))  # none at all


@pytest.mark.parametrize(
    "profile,overrides,field,reason",
    [
        ("alleo", {"cancel_eur": "1"}, "cancel_eur", "unknown fee"),
        ("progetcom", {"move_initial_eur": "1"}, "move_initial_eur", "has no such fee"),
        ("alleo", {"cancellation_eur": "abc"}, "cancellation_eur", "not an amount"),
        ("alleo", {"cancellation_eur": "-5"}, "cancellation_eur", "from 0 to"),
        ("alleo", {"cancellation_eur": True}, "cancellation_eur", "expected an amount"),
    ],
)
def test_bad_overrides_name_the_key(profile, overrides, field, reason):
    with pytest.raises(InputError) as exc:
        fees_of(load_profile(profile), overrides, file="scenario.yaml")
    assert exc.value.field == field and reason in exc.value.reason and exc.value.file == "scenario.yaml"


APPOINTMENT = datetime(2026, 3, 11, 10, 0)  # Wednesday 10:00


@pytest.mark.parametrize(
    "name,cancelled,hours,billed",
    [
        # ALLEO Heures Ouvrables Mon-Fri 08:00-18:00 (000 §1): Mon 10-18 8 h + Tue 10 h + Wed 08-10 2 h
        ("alleo", datetime(2026, 3, 9, 10, 0), 20, True),
        # Thu 09-18 9 + Fri 10 + Mon 10 + Tue 10 + Wed 2 = 41 h
        ("alleo", datetime(2026, 3, 5, 9, 0), 41, True),
        # Wed 12-18 6 + 4 × 10 + 2 = 48 h: not « moins de 48 heures ouvrées »
        ("alleo", datetime(2026, 3, 4, 12, 0), 48, False),
        ("alleo", datetime(2026, 3, 4, 10, 0), 50, False),
        # ProgetCom 5/7 09:00-18:00 (002 §4 window): Wed 6 + 4 × 9 + Wed 09-10 1 = 43 h
        ("progetcom", datetime(2026, 3, 4, 12, 0), 43, True),
        ("progetcom", datetime(2026, 3, 11, 11, 0), 0, True),  # after the appointment: no notice at all
    ],
)
def test_cancellation_48_business_hours(name, cancelled, hours, billed):
    p = load_profile(name)
    c = cancellation_charge(p, p.calendar(), APPOINTMENT, cancelled, fees_of(p))
    assert c.business_hours_before == hours and c.billed is billed
    assert c.amount_eur == (Decimal("150.00") if billed else Decimal("0.00"))
    assert c.clause == fees_of(p).cancellation.clause


def test_a_holiday_is_not_a_business_hour():
    """Tue 5 May 2026 12:00 → Tue 12 May 10:00: Fri 8 May (Victoire 1945) is off: 6+10+10+0+10+2 = 38 h."""
    p = load_profile("alleo")
    args = (datetime(2026, 5, 12, 10, 0), datetime(2026, 5, 5, 12, 0), fees_of(p))
    c = cancellation_charge(p, p.calendar(), *args)
    assert c.business_hours_before == 38 and c.billed
    p2 = load_profile("progetcom", {"holidays_off": "false"})  # 09-18, 8 May worked: 6+9+9+9+9+1 = 43 h
    assert cancellation_charge(p2, p2.calendar(), *args[:2], fees_of(p2)).business_hours_before == 43


def test_a_profile_without_a_cancellation_fee_bills_nothing():
    p = load_profile("allset")
    c = cancellation_charge(p, p.calendar(), APPOINTMENT, datetime(2026, 3, 10, 10, 0), fees_of(p))
    assert not c.billed and c.amount_eur == 0 and "allset" in c.clause and "no cancellation" in c.clause


def test_a_bad_fee_in_a_profile_file_is_located(tmp_path):
    text = Path(load_profile("alleo").path).read_text(encoding="utf-8")
    text = text.replace('cancellation_eur: {value: "150.00"', 'cancellation_eur: {value: "lots"')
    p = tmp_path / "mine.yaml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_profile(str(p))
    assert exc.value.field == "fees.cancellation_eur.value" and exc.value.file == str(p)
