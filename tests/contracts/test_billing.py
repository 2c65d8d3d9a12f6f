"""Early-termination fees (hand-computed per profile), pro rata, refunds, call pricing, late payment."""

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from rb_harness import budget

from contracts.billing import (
    add_months,
    call_cents,
    early_termination_fee,
    late_payment,
    months_between,
    price_call,
    prorata_first_period,
    refund_prepaid,
)
from contracts.errors import InputError
from contracts.profile import PROFILE_DIR, load_profile

START = date(2025, 1, 15)  # 36-month initial period (default) ends 2028-01-15; renewal 1 ends 2029-01-15


def fee(name, terminate_on, *, sets=(), **kw):
    kw.setdefault("monthly_fees", "100")
    return early_termination_fee(
        load_profile(name, list(sets)), service_start=START, terminate_on=terminate_on, **kw
    )


def amounts(result):
    return [(ln.months, ln.amount) for ln in result.lines]


# ----- months ----------------------------------------------------------------------------------------------


def test_add_months_clamps_the_day():
    assert add_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2025, 11, 15), 3) == date(2026, 2, 15)


def test_months_between_counts_whole_months_then_a_fraction():
    assert months_between(date(2025, 6, 20), date(2028, 1, 15)) == 30 + Fraction(26, 31)
    assert months_between(date(2025, 1, 15), date(2026, 1, 15)) == 12
    assert months_between(date(2025, 3, 1), date(2025, 3, 1)) == 0


# ----- ALLEO 000 §6 ----------------------------------------------------------------------------------------


def test_alleo_initial_period_fees_handsets_and_links():
    # 2025-06-20 → 2028-01-15: 30 months + 26 days → 31 months (partial_month=up) × 100 € = 3,100 €;
    # 3 handsets × 90 € = 270 € (000 §6.3); link fees 250 € always due (000 §6.4).
    r = fee("alleo", date(2025, 6, 20), handsets=3, link_fees="250")
    assert r.period == "initial"
    assert amounts(r) == [(31, Decimal("3100.00")), (None, Decimal("270.00")), (None, Decimal("250.00"))]
    assert r.fee_eur == Decimal("3620.00")
    assert [ln.clause.split()[:2] for ln in r.lines] == [["000", "§6.2"], ["000", "§6.3"], ["000", "§6.4"]]


def test_alleo_prorata_choice_and_no_handset_fee_choice():
    r = fee(
        "alleo",
        date(2025, 6, 20),
        handsets=3,
        sets=["partial_month=prorata", "handsets_on_site_termination=false"],
        link_fees="0",
    )
    # 30 + 26/31 months × 100 € = 3,083.870… → 3,083.87
    assert r.fee_eur == Decimal("3083.87")
    assert len(r.lines) == 1


def test_alleo_link_fees_default_to_the_profiles_placeholder():
    # 000 §6.4 link fees « dans tous les cas »: no --link-fees → fees.link_fees_eur (300.00, a placeholder)
    r = fee("alleo", date(2028, 6, 1))
    assert amounts(r) == [(8, Decimal("800.00")), (None, Decimal("300.00"))] and r.fee_eur == Decimal(
        "1100.00"
    )
    assert r.lines[1].clause.startswith("000 §6.4") and any("placeholder amount 300.00" in n for n in r.notes)
    assert fee("allset", date(2025, 6, 20)).fee_eur == Decimal("1900.00")  # no link fees in 001


def test_alleo_renewal_period_counts_to_the_end_of_the_renewal_year():
    # renewal 1: 2028-01-15 → 2029-01-15; from 2028-06-01: 7 months 14 days → 8 months
    r = fee("alleo", date(2028, 6, 1), link_fees=0)
    assert r.period == "renewal 1" and r.period_end == date(2029, 1, 15)
    assert r.fee_eur == Decimal("800.00")


# ----- ALLSET 001 §5 ---------------------------------------------------------------------------------------


def test_allset_first_year_of_the_initial_period():
    # 1st year ends 2026-01-15: 2025-06-20 → 6 months 26 days → 7 × 100 % × 100 € = 700 €;
    # beyond: 2026-01-15 → 2028-01-15 = 24 × 50 % × 100 € = 1,200 €.
    r = fee("allset", date(2025, 6, 20))
    assert amounts(r) == [(7, Decimal("700.00")), (24, Decimal("1200.00"))]
    assert r.fee_eur == Decimal("1900.00")


def test_allset_after_the_first_year_only_the_half_rate():
    r = fee("allset", date(2026, 1, 15))
    assert amounts(r) == [(24, Decimal("1200.00"))]


def test_allset_renewal_year_three_months_full_then_half():
    # renewal 1: 2028-01-15 → 2029-01-15; from 2028-03-01: 10 months 14 days → 11 months:
    # 3 × 100 % = 300 € + 8 × 50 % = 400 € → 700 €
    r = fee("allset", date(2028, 3, 1))
    assert r.period == "renewal 1"
    assert amounts(r) == [(3, Decimal("300.00")), (8, Decimal("400.00"))]
    assert r.fee_eur == Decimal("700.00")


def test_allset_renewal_with_less_than_three_months_left():
    # 2028-11-20 → 2029-01-15: 1 month 26 days → 2 months, min(3, 2) × 100 % (CONTRACTS §13)
    r = fee("allset", date(2028, 11, 20))
    assert amounts(r) == [(2, Decimal("200.00"))]


def test_allset_second_renewal_and_custom_initial_length():
    # 12-month initial period: 2026-01-15; renewals 2026-01-15→2027-01-15→2028-01-15
    r = fee("allset", date(2027, 2, 1), initial_months=12)
    assert r.period == "renewal 2" and r.period_start == date(2027, 1, 15)
    # 2027-02-01 → 2028-01-15 = 11 months 14 days → 12: 3 × 100 + 9 × 50
    assert r.fee_eur == Decimal("750.00")


# ----- ProgetCom 002 §5 ------------------------------------------------------------------------------------


def test_progetcom_initial_with_order_form_amount():
    # 31 months × 95 % × 100 € = 2,945 € + order form 500 € (002 §5.3 b)
    r = fee("progetcom", date(2025, 6, 20), order_form_amount="500")
    assert amounts(r) == [(31, Decimal("2945.00")), (None, Decimal("500.00"))]
    assert r.fee_eur == Decimal("3445.00")


def test_progetcom_renewal_ignores_the_order_form_amount_but_adds_the_procedure_penalty():
    # renewal: 8 months × 95 = 760 €; b) applies in the initial period only; c) 50 € in both
    r = fee("progetcom", date(2028, 6, 1), order_form_amount="500", procedure_penalty="50")
    assert r.fee_eur == Decimal("810.00")
    assert [ln.clause.split(" (")[0] for ln in r.lines] == ["002 §5.3 a)", "002 §5.3 c)"]


def test_progetcom_partial_month_prorata():
    r = fee("progetcom", date(2025, 6, 20), monthly_fees="31", sets=["partial_month=prorata"])
    # (30 + 26/31) × 0.95 × 31 € = 908.20
    assert r.fee_eur == Decimal("908.20")


# ----- ALLOcloud 003 §3 ------------------------------------------------------------------------------------


def test_allocloud_balance_from_the_end_of_the_billing_month():
    # effective 2025-07-01 (end of the current billing period); 24-month minimum ends 2027-01-15:
    # 18 months + 14/31 → 18.4516… × 100 € = 1,845.16 €
    r = fee("allocloud", date(2025, 6, 20))
    assert r.effective_on == date(2025, 7, 1)
    assert r.fee_eur == Decimal("1845.16")


def test_allocloud_after_the_minimum_period_is_free():
    r = fee("allocloud", date(2027, 3, 10))
    assert r.period == "open-ended" and r.fee_eur == Decimal("0.00") and r.lines == []


# ----- bad input -------------------------------------------------------------------------------------------


def test_alleo_before_service_start_owes_the_link_fees_only():
    # 000 §6.4 « y compris lorsque la fin … intervient avant la Mise en Service »: 250 € of link fees,
    # nothing for the months, no handset fee (« nonobstant 6.2 et 6.3 »)
    for start in (START, None):
        r = early_termination_fee(
            load_profile("alleo"),
            service_start=start,
            terminate_on=date(2024, 12, 31),
            monthly_fees="100",
            handsets=3,
            link_fees="250",
        )
        assert r.period == "before service start" and r.months_left == 0
        assert amounts(r) == [(None, Decimal("250.00"))] and r.lines[0].clause.startswith("000 §6.4")
        assert r.fee_eur == Decimal("250.00") and r.as_dict()["period_start"] is None


def test_progetcom_before_service_start_owes_the_whole_initial_period():
    # 002 §5.3 « avant la fin de la Période Initiale »: 36 months × 95 % × 100 € = 3,420 € + order form 500 €
    r = fee("progetcom", date(2024, 12, 31), order_form_amount="500")
    assert amounts(r) == [(36, Decimal("3420.00")), (None, Decimal("500.00"))] and r.fee_eur == Decimal(
        "3920.00"
    )
    assert r.lines[0].clause == "002 §5.3 a)" and "002 §5.3" in r.notes[-1]


@pytest.mark.parametrize("name,clause", [("allset", "001 §5"), ("allocloud", "003 §3")])
def test_a_silent_clause_before_service_start_is_an_input_error(name, clause):
    with pytest.raises(InputError, match="silent before service start") as exc:
        fee(name, date(2024, 12, 31))
    assert exc.value.field == "service_start" and clause in exc.value.reason


@pytest.mark.parametrize(
    "kw",
    [
        {"monthly_fees": "-1"},
        {"link_fees": "-5"},
        {"monthly_fees": "abc"},
        {"handsets": -1},
        {"initial_months": 0},
        {"monthly_fees": "NaN"},
    ],
)
def test_bad_amounts_are_input_errors(kw):
    with pytest.raises(InputError):
        fee("alleo", date(2025, 6, 1), **kw)


def test_a_bad_termination_section_names_the_field(tmp_path: Path):
    data = yaml.safe_load((PROFILE_DIR / "allset.yaml").read_text(encoding="utf-8"))
    data["termination"]["initial"]["tiers"][0]["rate"] = "lots"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InputError) as exc:
        early_termination_fee(
            load_profile(str(bad)), service_start=START, terminate_on=date(2025, 6, 1), monthly_fees="1"
        )
    assert exc.value.field == "termination.initial.tiers.0.rate"


# ----- pro rata, refunds -----------------------------------------------------------------------------------


def test_prorata_first_period():
    r = prorata_first_period(load_profile("allocloud"), monthly_fees="310", service_start=date(2026, 3, 11))
    assert (r["days"], r["days_in_month"], r["amount_eur"]) == (21, 31, Decimal("210.00"))
    r = prorata_first_period(load_profile("alleo"), monthly_fees="100", service_start=date(2026, 2, 1))
    assert r["amount_eur"] == Decimal("100.00")


def test_refund_rule():
    assert refund_prepaid(load_profile("allocloud"), amount="50")["refund_eur"] == Decimal("0.00")
    general = load_profile("allocloud", ["refund_prepaid=true"])
    assert refund_prepaid(general, amount="50")["refund_eur"] == Decimal("50.00")
    assert refund_prepaid(general, amount="9.99")["refund_eur"] == Decimal("0.00")
    assert refund_prepaid(general, amount="10")["refund_eur"] == Decimal("10.00")
    assert refund_prepaid(general, amount="50", customer_breached=True)["refund_eur"] == Decimal("0.00")


# ----- call pricing (003 §2: per second, rounded up to the cent) ----------------------------------


@pytest.mark.parametrize(
    ("seconds", "rate", "expected"),
    [
        (1, "0.60", "0.01"),  # exactly one cent: no rounding up
        (2, "0.60", "0.02"),
        (61, "0.60", "0.61"),
        (1, "0.30", "0.01"),  # half a cent → up
        (1, "0.0006", "0.01"),  # a thousandth of a cent → up
        (60, "0.05", "0.05"),
        (61, "0.05", "0.06"),  # 0.050833… → 0.06
        (0, "0.60", "0.00"),
    ],
)
def test_price_call_rounds_up_to_the_next_cent(seconds, rate, expected):
    assert price_call(seconds, rate) == Decimal(expected)


@settings(max_examples=budget(60), deadline=None)
@given(
    st.lists(st.integers(0, 20_000), min_size=1, max_size=30), st.decimals(min_value=0, max_value=5, places=4)
)
def test_vectorised_cents_equal_the_scalar_price(durations, rate):
    total = sum(price_call(d, rate) for d in durations)
    assert Decimal(int(call_cents(np.array(durations), rate).sum())) / 100 == total


# ----- late payment -------------------------------------------------------------------------------


def test_late_interest_one_percent_per_month_and_suspension_after_20_days():
    p = load_profile("allocloud")
    r = late_payment(p, amount="1000", due=date(2026, 1, 10), paid_on=date(2026, 2, 25))
    # 1 month + 15/28 (2026-02-10 → 2026-03-10 has 28 days) × 1 % × 1,000 € = 15.357… → 15.36
    assert r["interest_eur"] == Decimal("15.36") and r["days_late"] == 46
    assert r["suspension_allowed"] is True
    assert (
        late_payment(p, amount="1000", due=date(2026, 1, 10), paid_on=date(2026, 1, 30))["suspension_allowed"]
        is False
    )  # 20 days: not « plus de 20 jours »
    assert (
        late_payment(p, amount="1000", due=date(2026, 1, 10), paid_on=date(2026, 1, 31))["suspension_allowed"]
        is True
    )
    assert late_payment(p, amount="1000", due=date(2026, 1, 10), paid_on=date(2026, 1, 5))[
        "interest_eur"
    ] == Decimal("0.00")


@settings(max_examples=budget(50), deadline=None)
@given(
    st.sampled_from(["alleo", "allset", "progetcom", "allocloud"]),
    st.dates(date(2020, 1, 1), date(2030, 1, 1)),
    st.integers(0, 2000),
    st.integers(0, 400),
    st.sampled_from(["up", "prorata"]),
)
def test_fee_never_grows_as_termination_moves_later_in_a_period(name, start, a, b, partial):
    sets = [f"partial_month={partial}"] if name in ("alleo", "progetcom") else []
    p = load_profile(name, sets)
    first = early_termination_fee(
        p, service_start=start, terminate_on=start + timedelta(days=a), monthly_fees="100"
    )
    later = early_termination_fee(
        p, service_start=start, terminate_on=start + timedelta(days=a + b), monthly_fees="100"
    )
    if first.period == later.period and first.period_start == later.period_start:
        assert later.fee_eur <= first.fee_eur
    assert first.fee_eur >= 0 and later.fee_eur >= 0
