"""Benchmark of the fleet's lifecycle in the simulation: what moves, terminations and cancellations cost.

The demo scenario scaled to `--sites` sites (as `bench/sim_bench.py` scales it), one replication end to
end (`run_replication`, replication 0 with its tables), with and without a lifecycle: every profile's
sites terminated at `--rate` per year, moved at the same rate, and a `--cancel` share of appointments
cancelled. CPU seconds, interleaved, median of `--repeat`; the figure is the ratio with ÷ without
(target ≤ 1.15: the lifecycle is a few hundred events, the fleet's failures are tens of thousands).

Run: python bench/lifecycle_bench.py [--sites 10000] [--rate 0.1] [--cancel 0.2] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sim_bench import scaled  # noqa: E402

from sim.replication import run_replication  # noqa: E402
from sim.scenario import Scenario, load_scenario  # noqa: E402


def with_lifecycle(s: Scenario, rate: float, cancel: float) -> Scenario:
    """`s` with moves and terminations at `rate` per site-year for every profile, and cancellations."""
    data = s.model_dump(mode="json")
    rates = dict.fromkeys(s.profile_names, rate)
    data["moves"] = {"rate_per_year": rates}
    data["terminations"] = {"rate_per_year": rates}
    data["installs"]["cancel"] = cancel
    data["name"] = f"{s.name}-life"
    return Scenario.model_validate(data)


def cpu(s: Scenario) -> float:
    t = time.process_time()
    run_replication(s, 0, 2026)
    return time.process_time() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sites", type=int, default=10_000)
    ap.add_argument("--rate", type=float, default=0.1)
    ap.add_argument("--cancel", type=float, default=0.2)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    base = scaled(load_scenario(ROOT / "scenarios" / "demo.yaml"), args.sites)
    life = with_lifecycle(base, args.rate, args.cancel)
    n = sum(g.count for g in base.site_groups)
    cpu(base), cpu(life)  # warm: contexts, calendars, imports
    a, b = [], []
    for _ in range(args.repeat):
        a.append(cpu(base))
        b.append(cpu(life))
    m = run_replication(life, 0, 2026).metrics
    events = sum(sum(m[k].values()) for k in ("terminations", "moves", "cancellations"))
    print(f"load average {os.getloadavg()[0]:.2f}; {n:,} sites x {base.duration_days} days, replication 0")
    print(f"  without lifecycle {statistics.median(a):8.2f} s CPU")
    what = f"{events:,} terminations, moves, cancellations"
    print(f"  with lifecycle    {statistics.median(b):8.2f} s CPU  ({what})")
    print(f"  ratio with / without: {statistics.median(b) / statistics.median(a):.3f} (target <= 1.15)")


if __name__ == "__main__":
    main()
