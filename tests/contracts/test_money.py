"""Money: Decimal, half-up to the cent (CONTRACTS §13), whatever the exact value came as."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from contracts.money import money, money_up


@pytest.mark.parametrize(
    ("value", "cents"),
    [
        (Decimal("2.675"), "2.68"),  # half-up, not half-even
        (Decimal("2.665"), "2.67"),
        (Decimal("-0.005"), "-0.01"),
        (Fraction(1, 3), "0.33"),
        (Fraction(5, 8), "0.63"),  # 0.625 exactly
        (2.675, "2.68"),  # a float as written, not its binary expansion 2.67499…
        (7, "7.00"),
    ],
)
def test_money_rounds_half_up_to_the_cent(value, cents):
    assert money(value) == Decimal(cents) and str(money(value)) == cents


def test_money_up_rounds_any_fraction_of_a_cent_up():
    assert money_up(Decimal("0.0001")) == Decimal("0.01")
    assert money_up(Decimal("1.20")) == Decimal("1.20")
