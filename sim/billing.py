"""Monthly bills of the simulated fleet: the credit base of the SLA engine."""

from __future__ import annotations

import calendar as _cal
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

CENT = Decimal("0.01")
USAGE_SHAPE = 4.0  # gamma noise on monthly usage: mean 1, coefficient of variation 0.5


@dataclass(frozen=True)
class Bill:
    """One site-month of billing.csv."""

    site: str
    month: str
    recurring_fees: Decimal
    usage_charges: Decimal
    departement: str
    profile: str


def months(start: date, end: date) -> list[tuple[int, int]]:
    """(year, month) of every month with at least one day in [start, end)."""
    out = []
    y, m = start.year, start.month
    while date(y, m, 1) < end:
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def money(x: Decimal | float) -> Decimal:
    """Euros rounded half-up to the cent."""
    return Decimal(str(x)).quantize(CENT, rounding=ROUND_HALF_UP)


def site_bills(
    rng: np.random.Generator,
    *,
    site: str,
    profile: str,
    departement: str,
    recurring: Decimal,
    usage_mean: Decimal,
    service_start: date,
    end: date,
) -> list[Bill]:
    """Bills from the month of service start to the last month before `end`.

    000 §7.1: monthly fees from service start, pro rata temporis for the first month.
    """
    out = []
    ms = months(service_start, end)
    noise = rng.gamma(USAGE_SHAPE, 1.0 / USAGE_SHAPE, size=len(ms))
    for (y, m), z in zip(ms, noise, strict=True):
        share = Decimal(1)
        if (y, m) == (service_start.year, service_start.month) and service_start.day > 1:
            ndays = _cal.monthrange(y, m)[1]
            share = Decimal(ndays - service_start.day + 1) / Decimal(ndays)  # 000 §7.1 pro rata
        fee = money(recurring * share)
        use = money(usage_mean * share * Decimal(f"{z:.6f}"))
        out.append(Bill(site, f"{y:04d}-{m:02d}", fee, use, departement, profile))
    return out


def end_date(start: date, duration_days: int) -> date:
    """First day after the scenario."""
    return start + timedelta(days=duration_days)
