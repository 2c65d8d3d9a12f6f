"""Benchmark the fair-use audit: 10,000,000 generated call records, streamed, bounded memory.

Prints the audit's wall and CPU time, its rate, its peak RSS (the audit runs in a fresh child process, so
the generator's memory is not counted), and the ratio against a naive per-row baseline (csv.DictReader +
a `phonenumbers.parse` per row + dicts of sets) measured on a sample in the same run. Never pass/fail on
time.

    .venv/bin/python bench/usage_bench.py [--records 10000000] [--sample 20000] [--contract progetcom]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import tempfile
import time
from pathlib import Path

from cdrs import audit_naive, synthetic_cdrs

from contracts.destinations import table_for
from contracts.profile import load_profile
from contracts.usage import audit, fair_use_rules


def generate(path: Path, records: int, users: int) -> float:
    t = time.perf_counter()
    with path.open("wb") as fh:
        for block in synthetic_cdrs(records, users=users, seed=42):
            fh.write(block)
    return time.perf_counter() - t


def _child(contract: str, path: str, out: mp.Queue) -> None:
    profile = load_profile(contract)
    t0, c0 = time.perf_counter(), time.process_time()
    table_for(fair_use_rules(profile).international)
    t1 = time.perf_counter()
    result = audit(profile, path)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.put(
        {
            "wall": wall,
            "cpu": cpu,
            "table": t1 - t0,
            "peak_mib": peak_mib,
            "records": result.records,
            "user_months": result.user_months,
            "flagged": result.totals["flagged_user_months"],
            "penalty": str(result.totals["penalty_eur"]),
            "retro": str(result.totals["retro_national_fixed_eur"]),
        }
    )


def run_child(contract: str, path: Path) -> dict:
    ctx = mp.get_context("spawn")  # a fresh interpreter: its peak RSS is the audit's alone
    q = ctx.Queue()
    p = ctx.Process(target=_child, args=(contract, str(path), q))
    p.start()
    res = q.get()
    p.join()
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=10_000_000)
    ap.add_argument("--sample", type=int, default=20_000)
    ap.add_argument("--users", type=int, default=2_000)
    ap.add_argument("--contract", default="progetcom")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="usage_bench_") as tmp:
        big, small = Path(tmp) / "cdrs.csv", Path(tmp) / "sample.csv"
        gen = generate(big, args.records, args.users)
        print(f"generated {args.records:,} records ({big.stat().st_size / 2**20:,.0f} MiB) in {gen:.1f} s")
        with big.open("rb") as src, small.open("wb") as dst:  # the sample: the first rows of the same file
            for _ in range(args.sample + 1):
                dst.write(src.readline())

        full = run_child(args.contract, big)
        rate = full["records"] / full["wall"]
        print(
            f"audit ({args.contract}) of {full['records']:,} records: wall {full['wall']:.1f} s, "
            f"CPU {full['cpu']:.1f} s, {rate:,.0f} records/s (wall), "
            f"{full['records'] / full['cpu']:,.0f} records/s (CPU); prefix tables built once in "
            f"{full['table']:.2f} s; peak RSS {full['peak_mib']:.0f} MiB; "
            f"{full['user_months']:,} user-months, {full['flagged']} flagged, "
            f"retro {full['retro']} €, penalty {full['penalty']} €"
        )

        profile = load_profile(args.contract)
        table_for(
            fair_use_rules(profile).international
        )  # built once per process, as in the full run's figure above
        c0 = time.process_time()
        fast_small = audit(profile, small, every_month=True)
        fast_small_cpu = time.process_time() - c0
        c0, t0 = time.process_time(), time.perf_counter()
        naive = audit_naive(profile, small)
        naive_wall, naive_cpu = time.perf_counter() - t0, time.process_time() - c0
        same = {(r["user"], r["month"]): (r["calls"], r["distinct_numbers"]) for r in fast_small.rows} == {
            k: (v["calls"], v["distinct_numbers"]) for k, v in naive.items()
        }
        naive_rate = args.sample / naive_cpu
        print(
            f"naive per-row baseline on {args.sample:,} records: {naive_wall:.2f} s wall, "
            f"{naive_cpu:.2f} s CPU, "
            f"{naive_rate:,.0f} records/s (CPU); fast audit on the same sample: {fast_small_cpu:.3f} s CPU "
            f"(same calls and distinct numbers per user-month: {same})"
        )
        print(
            f"ratio fast/naive (CPU records/s): {full['records'] / full['cpu'] / naive_rate:,.1f}x "
            f"on the full "
            f"file, {naive_cpu / max(fast_small_cpu, 1e-9):,.1f}x on the sample; "
            f"naive extrapolated to {args.records:,} records: {args.records / naive_rate / 60:,.0f} min CPU"
        )
        print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
