"""Monthly bills of the simulated fleet: the credit base of the SLA engine."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import numpy as np

from contracts.money import money
from contracts.month import Month

USAGE_SHAPE = 4.0  # gamma noise on monthly usage: mean 1, coefficient of variation 0.5


@dataclass(frozen=True)
class Bills:
    """Site-months of billing.csv as columns, by site then month: the credit base of the SLA engine."""

    site: np.ndarray  # fleet site index
    month: np.ndarray  # Month keys (year * 12 + month - 1)
    recurring_cents: np.ndarray
    usage_cents: np.ndarray

    def __len__(self) -> int:
        return len(self.site)


def fleet_bills(
    rng: np.random.Generator,
    sites: list[int],
    service_start: list[date],
    recurring: list[Decimal],
    usage_mean: list[Decimal],
    end: date,
) -> Bills:
    """Bills of `sites` (in that order) from the month of their service start to the last month before
    `end`; `recurring` and `usage_mean` are per site.

    000 §7.1: monthly fees from service start, pro rata temporis for the first month. Usage is the mean
    with gamma noise, drawn site after site in one call (the same draws as one call per site).
    """
    last = Month.containing(end - timedelta(days=1))
    first = np.array([Month.containing(d) for d in service_start], dtype=np.int64)
    count = last - first + 1
    rep = np.repeat(np.arange(len(sites)), count)
    offset = np.arange(len(rep)) - np.repeat(np.cumsum(count) - count, count)
    mean = np.array([float(u * 100) for u in usage_mean], dtype=float)
    noise = rng.gamma(USAGE_SHAPE, 1.0 / USAGE_SHAPE, size=len(rep))
    usage = np.floor(mean[rep] * noise + 0.5).astype(np.int64)
    fee = np.array([int(money(r).scaleb(2)) for r in recurring], dtype=np.int64)[rep]
    heads = np.cumsum(count) - count
    for j, d in enumerate(service_start):
        if d.day > 1 and len(rep):
            k = int(heads[j])
            ndays = Month.containing(d).days
            share = Decimal(ndays - d.day + 1) / Decimal(ndays)  # 000 §7.1 pro rata temporis
            fee[k] = int(money(recurring[j] * share).scaleb(2))
            usage[k] = int(money(Decimal(int(usage[k])).scaleb(-2) * share).scaleb(2))
    return Bills(np.asarray(sites, dtype=np.int64)[rep], first[rep] + offset, fee, usage)


def end_date(start: date, duration_days: int) -> date:
    """First day after the scenario."""
    return start + timedelta(days=duration_days)
