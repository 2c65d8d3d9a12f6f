"""Benchmark `contracts.objectives.check_objectives` beside `contracts.sla.compute` on 1,000,000 incidents.

Prints the seconds of each and their ratio measured in the same run (objectives / statement), per profile,
on random incidents over one year of 5,000 sites (a seventh in Alsace-Moselle), with the replacement
columns. Usage: python bench/objectives_bench.py [N]
"""

from __future__ import annotations

import os
import sys
import time
from decimal import Decimal

import numpy as np

from contracts.month import Month
from contracts.objectives import check_objectives, objectives_by_site_month
from contracts.profile import load_profile
from contracts.records import NAT, BillingRow, Incidents
from contracts.sla import compute


def main(n: int) -> None:
    rng = np.random.default_rng(7)
    t0 = Month.of(2026, 1).first_instant
    notified = t0 + rng.integers(0, 86400 * 360, n)
    restored = notified + rng.integers(60, 86400 * 2, n)
    restored[rng.random(n) < 0.01] = NAT
    diagnosed = np.where(rng.random(n) < 0.2, notified + 1800, NAT)
    replaced = np.where(diagnosed != NAT, diagnosed + rng.integers(3600, 86400 * 5, n), NAT)
    sites = [f"S{i % 5000}" for i in range(n)]
    deps = ["57" if i % 7 == 0 else "75" for i in range(5000)]
    inc = Incidents(
        "bench",
        [f"T{i}" for i in range(n)],
        sites,
        notified,
        restored,
        rng.choice(9, n, p=[0.4, 0.2, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.0]).astype(np.int8),
        departement=[deps[i % 5000] for i in range(n)],
        provider_detected=rng.random(n) < 0.3,
        diagnosed_at=diagnosed,
        replaced_at=replaced,
        under_warranty=rng.choice(np.array([1, 0, -1], dtype=np.int8), n),
    )
    billing = [
        BillingRow(f"S{s}", Month.of(2026, m), Decimal("100"), Decimal("10"), deps[s], 2 + s * 12 + m)
        for s in range(5000)
        for m in range(1, 13)
    ]
    print(f"{n:,} incidents, 5,000 sites × 12 months; load {os.getloadavg()[0]:.2f}")
    for name in ("alleo", "allset", "progetcom"):
        p = load_profile(name, ["equipment_replacement_hours=warranty_split"] if name == "allset" else [])
        t = time.perf_counter()
        res = compute(p, inc, billing)
        a = time.perf_counter() - t
        t = time.perf_counter()
        r = check_objectives(p, inc, res.effective_end)
        objectives_by_site_month(inc, r)
        b = time.perf_counter() - t
        print(
            f"{name:10s} statement {a:6.2f} s  objectives {b:5.2f} s  ratio objectives/statement {b / a:.2f}"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
