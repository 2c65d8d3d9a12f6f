"""Monthly bills of the simulated fleet: the credit base of the SLA engine."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

import numpy as np

from contracts.money import money
from contracts.month import months_from

USAGE_SHAPE = 4.0  # gamma noise on monthly usage: mean 1, coefficient of variation 0.5


class Bill(NamedTuple):
    """One site-month of billing.csv."""

    site: str
    month: str
    recurring_fees: Decimal
    usage_charges: Decimal
    departement: str
    profile: str


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
    ms = months_from(service_start, end)
    noise = rng.gamma(USAGE_SHAPE, 1.0 / USAGE_SHAPE, size=len(ms))
    usage_cents = np.floor(float(usage_mean * 100) * noise + 0.5).astype(np.int64).tolist()
    fee = money(recurring)
    for k, month in enumerate(ms):
        use = Decimal(usage_cents[k]).scaleb(-2)
        month_fee = fee
        if k == 0 and service_start.day > 1:
            ndays = month.days
            share = Decimal(ndays - service_start.day + 1) / Decimal(ndays)  # 000 §7.1 pro rata temporis
            month_fee = money(recurring * share)
            use = money(use * share)
        out.append(Bill(site, month.text, month_fee, use, departement, profile))
    return out


def end_date(start: date, duration_days: int) -> date:
    """First day after the scenario."""
    return start + timedelta(days=duration_days)
