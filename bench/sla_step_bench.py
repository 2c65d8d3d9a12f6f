"""Benchmark the SLA engine on 1,000,000 random incidents over one year.

Prints incidents/s for (1) the business-minute step on arrays in memory (prefix sums over days, O(1) per
incident) and (2) the full pipeline `compute_files` (CSV parsing of incidents and billing included), and
the ratio of each to a plain per-minute loop timed on a sample in the same run, after checking that the
loop and the closed form give identical minutes on that sample. Targets on a 2-core machine: step ≥ 5 M
incidents/s, full pipeline on 1 M incidents < 10 s. Usage: python bench/sla_step_bench.py [N] [--profile P]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import datetime
from pathlib import Path

import numpy as np

from contracts.calendar import PARIS, BusinessCalendar
from contracts.choices import CAUSES
from contracts.instants import parse_times
from contracts.profile import load_profile
from contracts.sla import compute_files


def per_minute_loop(cal: BusinessCalendar, start_s: int, end_s: int) -> int:
    """The baseline: visit every real minute and test it against the local window and holidays."""
    n = 0
    s = start_s
    while s < end_s:
        loc = datetime.fromtimestamp(s, PARIS)
        w = cal.window[loc.weekday()]
        if w and cal.is_business_day(loc.date()) and w[0] <= loc.hour * 60 + loc.minute < w[1]:
            n += 1
        s += 60
    return n


def make_incidents(n: int, sites: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Random Paris-local incidents of 2026 on whole minutes: (notified, restored) as naive datetime64[s]."""
    rng = np.random.default_rng(seed)
    t0 = np.datetime64("2026-01-01T00:00:00")
    minutes = rng.integers(0, 365 * 1440 - 3 * 1440, n)
    notified = t0 + minutes.astype("timedelta64[m]")
    dur = np.minimum(rng.exponential(240, n).astype(np.int64) + 1, 20 * 1440)
    restored = notified + dur.astype("timedelta64[m]")
    site = rng.integers(0, sites, n)
    return notified, restored, [f"S{k:05d}" for k in site]


def avoid_spring_gap(a: np.ndarray) -> np.ndarray:
    """Move times inside the skipped hour (29 March 2026 02:00-02:59) one hour later."""
    lo, hi = np.datetime64("2026-03-29T02:00:00"), np.datetime64("2026-03-29T03:00:00")
    bad = (a >= lo) & (a < hi)
    a = a.copy()
    a[bad] += np.timedelta64(1, "h")
    return a


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", nargs="?", type=int, default=1_000_000)
    ap.add_argument("--sites", type=int, default=10_000)
    ap.add_argument("--profile", default="alleo")
    ap.add_argument("--sample", type=int, default=300)
    args = ap.parse_args()
    n = args.n
    profile = load_profile(args.profile)
    cal = profile.calendar()
    print(
        f"sla_bench: {n:,} incidents on {args.sites:,} sites over 2026, profile {profile.name}, "
        f"cpus={os.cpu_count()}, load average {os.getloadavg()[0]:.1f}"
    )

    notified, restored, sites = make_incidents(n, args.sites)
    notified, restored = avoid_spring_gap(notified), avoid_spring_gap(restored)
    restored = np.maximum(restored, notified)
    n_txt = np.datetime_as_string(notified, unit="s")
    r_txt = np.datetime_as_string(restored, unit="s")
    start_s = parse_times(list(n_txt), file="bench", field="notified_at")
    end_s = parse_times(list(r_txt), file="bench", field="restored_at")

    # ---- 1. the business-minute step on arrays in memory --------------------------------------------
    cal.business_seconds_array(start_s[:10], end_s[:10])  # build the day tables once
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        minutes = cal.business_minutes_array(start_s, end_s)
        best = min(best, time.perf_counter() - t)
    step_rate = n / best

    # ---- baseline: per-minute loop on a sample, checked equal first -----------------------------------
    rng = np.random.default_rng(2)
    idx = rng.choice(n, size=min(args.sample, n), replace=False)
    t = time.perf_counter()
    loop = [per_minute_loop(cal, int(start_s[i]), int(end_s[i])) for i in idx]
    loop_time = time.perf_counter() - t
    if not np.array_equal(np.array(loop, dtype=np.float64), minutes[idx]):
        bad = int(np.flatnonzero(np.array(loop) != minutes[idx])[0])
        raise SystemExit(
            f"MISMATCH on sample incident {idx[bad]}: loop {loop[bad]} vs closed form {minutes[idx][bad]}"
        )
    loop_rate = len(idx) / loop_time
    print(
        f"  per-minute loop baseline : {loop_rate:14,.0f} incidents/s  "
        f"(sample of {len(idx)}, identical minutes)"
    )
    print(
        f"  business-minute step     : {step_rate:14,.0f} incidents/s  ({best * 1e3:.1f} ms for {n:,}; "
        f"x{step_rate / loop_rate:,.0f} vs loop; "
        f"target >= 5,000,000/s: {'met' if step_rate >= 5e6 else 'NOT met'})"
    )

    # ---- 2. the full pipeline: CSV files → statement rows --------------------------------------------
    rngc = np.random.default_rng(3)
    shares = [0.4, 0.2, 0.1, 0.1, 0.05, 0.05, 0.05, 0.05, 0.0]  # no move tickets
    causes = np.array(CAUSES)[rngc.choice(len(CAUSES), n, p=shares)]
    with tempfile.TemporaryDirectory() as tmp:
        ip, bp = Path(tmp) / "incidents.csv", Path(tmp) / "billing.csv"
        with ip.open("w", encoding="utf-8") as fh:
            fh.write("ticket,site,notified_at,restored_at,cause\n")
            fh.writelines(
                f"T{i:07d},{s},{a},{b},{c}\n"
                for i, (s, a, b, c) in enumerate(zip(sites, n_txt, r_txt, causes, strict=True))
            )
        with bp.open("w", encoding="utf-8") as fh:
            fh.write("site,month,recurring_fees,usage_charges\n")
            fh.writelines(
                f"S{k:05d},2026-{m:02d},{100 + k % 50}.00,{k % 37}.50\n"
                for k in range(args.sites)
                for m in range(1, 13)
            )
        t, c = time.perf_counter(), time.process_time()
        rows = compute_files(profile, ip, bp)
        full, cpu = time.perf_counter() - t, time.process_time() - c
    full_rate = n / full
    credited = sum(r["credit_eur"] for r in rows)
    print(
        f"  full compute (CSV incl.) : {full_rate:14,.0f} incidents/s  ({full:.2f} s wall, {cpu:.2f} s CPU "
        f"for {n:,} incidents, "
        f"{len(rows):,} site-months, {credited:,.2f} € credited; x{full_rate / loop_rate:,.0f} vs loop; "
        f"target < 10 s: {'met' if full < 10 else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
