"""Euros: `Decimal`, never binary floats, rounded half-up to the cent (CONTRACTS §13 « Money », fixed)."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from fractions import Fraction

CENT = Decimal("0.01")
ZERO = Decimal("0")


def _decimal(x: Decimal | Fraction | int | float | str) -> Decimal:
    if isinstance(x, Fraction):
        return Decimal(x.numerator) / Decimal(x.denominator)
    if isinstance(x, float):
        return Decimal(str(x))  # the float as written, not its binary expansion
    return Decimal(x)


def money(x: Decimal | Fraction | int | float | str) -> Decimal:
    """Round to the cent, half-up: every credit, cap, fee and charge (CONTRACTS §13)."""
    if type(x) is not Decimal:  # the statement rounds ~10^5 Decimals: no conversion on that path
        x = _decimal(x)
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def money_up(x: Decimal | Fraction | int | float | str) -> Decimal:
    """Round up to the next cent: a call priced per second (003 §2 « arrondi au cent supérieur »)."""
    return _decimal(x).quantize(CENT, rounding=ROUND_CEILING)
