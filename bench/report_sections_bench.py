"""What the report's issue-16 sections cost: the Lifecycle and Tickets sections (lifecycle.csv, the
objectives of replication 0's tickets through `contracts.objectives.check_objectives`, the 48-hour rule
through `contracts.sla.deemed_restoration`) as a share of building every section of the same run.

The machine is shared, so CPU times are compared (the cycles this process got), each section timed as the
median of 3, interleaved. The run is `scenarios/lifecycle.yaml` with every site group multiplied.

Run: python bench/report_sections_bench.py [--scale 25] [--replications 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from centrex.report.common import profiles_in_force  # noqa: E402
from centrex.report.rundir import load_run  # noqa: E402
from centrex.report.sections import SECTIONS  # noqa: E402

NEW = ("tickets", "lifecycle")


def scaled_run(out: Path, scale: int, replications: int) -> Path:
    """`centrex run` of the lifecycle scenario with every group `scale` times larger (its listed events
    kept: their sites still exist)."""
    scenario = yaml.safe_load((ROOT / "scenarios" / "lifecycle.yaml").read_text(encoding="utf-8"))
    for g in scenario["site_groups"]:
        g["count"] *= scale
    for r in scenario["numbering"]["ranges"]:
        r["size"] = 10_000 * scale
    path = out / "scaled.yaml"
    path.write_text(yaml.safe_dump(scenario, allow_unicode=True, sort_keys=False), encoding="utf-8")
    run = out / "run"
    cmd = [sys.executable, "-m", "centrex.cli", "-q", "run", str(path), "--replications", str(replications)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run([*cmd, "--out", str(run)], check=True, env=env, capture_output=True, text=True)
    return run


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", type=int, default=25)
    ap.add_argument("--replications", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="centrex-report-bench-") as tmp:
        run = load_run(scaled_run(Path(tmp), args.scale, args.replications))
    profiles = profiles_in_force(run)
    cpu: dict[str, list[float]] = {name: [] for name, _ in SECTIONS}
    for _ in range(3):
        for name, build in SECTIONS:
            start = time.process_time()
            build(run, profiles)
            cpu[name].append(time.process_time() - start)
    median = {name: statistics.median(v) for name, v in cpu.items()}
    total = sum(median.values())
    print(f"load average {os.getloadavg()[0]:.2f} (2 cores, shared)")
    print(
        f"run: {sum(run.summary['sites'].values()):,} sites, {len(run.incidents):,} tickets and "
        f"{len(run.lifecycle):,} lifecycle events in replication 0"
    )
    for name in (n for n, _ in SECTIONS):
        mark = "  <- issue 16" if name in NEW else ""
        print(f"  {name:<14} {median[name] * 1000:8.1f} ms CPU  {median[name] / total:6.1%}{mark}")
    new = sum(median[n] for n in NEW)
    print(f"[1] lifecycle + tickets ÷ every section: {new / total:.3f}")
    per = median["tickets"] / max(1, len(run.incidents)) * 1e6
    print(f"[2] tickets section: {per:.1f} µs CPU per ticket of replication 0")


if __name__ == "__main__":
    main()
