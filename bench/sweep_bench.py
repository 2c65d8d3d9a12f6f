"""Benchmark of `centrex sweep`: 2 workers against 1 on a 4-point × 8-replication sweep of the demo scaled
to 3,000 sites (target ≥ 1.8×), and the same sweep.json bytes from both.

Points × replications go to one pool (as `centrex run` replications do), so two workers stay busy across
point boundaries. Printed with the load average: the machine is shared, so the wall-clock speed-up is
beside a CPU-bound estimate (the speed-up two idle cores would give).

Run: python bench/sweep_bench.py [--sites 3000] [--points 4] [--replications 8]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim.scenario import read_yaml  # noqa: E402
from sim.sweep import run_sweep  # noqa: E402

DEMO = ROOT / "scenarios" / "demo.yaml"


def scaled_yaml(sites: int, target: Path) -> int:
    """Write the demo with every group and its crews scaled to about `sites` sites; return sud-est's crews."""
    data, _ = read_yaml(DEMO.read_text(encoding="utf-8"), str(DEMO))
    f = sites / sum(g["count"] for g in data["site_groups"])
    for g in data["site_groups"]:
        g["count"] = max(1, round(g["count"] * f))
    data["repair"]["crews"] = {k: max(1, round(v * f)) for k, v in data["repair"]["crews"].items()}
    data["name"] = f"demo-x{sites}"
    target.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return data["repair"]["crews"]["sud-est"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=3000)
    ap.add_argument("--points", type=int, default=4)
    ap.add_argument("--replications", type=int, default=8)
    args = ap.parse_args()
    load = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (shared)")
    with tempfile.TemporaryDirectory(prefix="sweep-bench-") as tmp:
        src = Path(tmp) / "demo-scaled.yaml"
        crews = scaled_yaml(args.sites, src)
        values = ",".join(str(max(1, crews * (k + 2) // 4)) for k in range(args.points))
        vary = [f"repair.crews.sud-est={values}"]
        print(
            f"\n{args.points} points (repair.crews.sud-est={values}) x {args.replications} replications,"
            f" demo scaled to {args.sites:,} sites x 1 year"
        )
        times, cpus, docs = {}, {}, {}
        for w in (1, 2):
            cpu_in_reps = []
            t0, c0 = time.perf_counter(), time.process_time()
            outcome = run_sweep(
                src,
                vary,
                out=Path(tmp) / f"w{w}",
                replications=args.replications,
                workers=w,
                on_result=lambda _p, r, acc=cpu_in_reps: acc.append(r.cpu_seconds),
            )
            times[w] = time.perf_counter() - t0
            parent = time.process_time() - c0
            cpus[w] = parent if w == 1 else sum(cpu_in_reps) + parent  # one worker: all in this process
            docs[w] = (outcome.out / "sweep.json").read_bytes()
            print(
                f"  {w} worker{'s' if w > 1 else ' '}   {times[w]:8.2f} s wall, {cpus[w]:7.2f} s CPU"
                f" ({cpus[w] / times[w]:.2f} cores busy of {w})"
            )
    print(f"  speed-up 2 vs 1   {times[1] / times[2]:8.2f}x  target >= 1.80 (wall clock, shared machine)")
    print(
        f"  CPU-bound estimate {2 * cpus[1] / cpus[2]:7.2f}x  (2 x CPU(1 worker) / CPU(2 workers + parent))"
    )
    print(f"  sweep.json identical for 1 and 2 workers: {docs[1] == docs[2]}")
    load = os.getloadavg()
    print(f"\nload average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
