"""Start-up of the CLI as whole processes, against `python3 -c pass` (issue 14 §8).

Each command runs as its own process, interleaved with the baseline, 3 times; the medians count. Targets:
`centrex --help` ≤ 12× the bare interpreter, `centrex sla compute` on a 2-row file ≤ 20×. Also printed: a
process that only imports what `sla compute` needs, so the remaining cost shows. Run from the project
root: python bench/startup_bench.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

from proc import timed

INCIDENTS = (
    "ticket,site,notified_at,restored_at,cause\n"
    "T1,paris-hq,2026-03-10T09:00:00+01:00,2026-03-10T11:00:00+01:00,network\n"
    "T2,paris-hq,2026-03-12T14:00:00+01:00,2026-03-12T14:30:00+01:00,router\n"
)
BILLING = "site,month,recurring_fees,usage_charges\nparis-hq,2026-03,400,80\nparis-hq,2026-02,400,70\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="centrex-startup-"))
    (work / "incidents.csv").write_text(INCIDENTS)
    (work / "billing.csv").write_text(BILLING)
    py = sys.executable
    sla = ["sla", "compute", "--contract", "alleo", "--incidents", str(work / "incidents.csv")]
    sla += ["--billing", str(work / "billing.csv"), "--format", "json"]
    commands = {
        "python3 -c pass": [py, "-c", "pass"],
        "centrex --help": [py, "-m", "centrex.cli", "--help"],
        "centrex sla compute (2 rows)": [py, "-m", "centrex.cli", *sla],
        "import sla compute's modules": [py, "-c", "import typer, centrex.output, contracts.sla"],
    }
    wall: dict[str, list[float]] = {k: [] for k in commands}
    cpu: dict[str, list[float]] = {k: [] for k in commands}
    for _ in range(args.runs):  # interleaved: each round runs every command once
        for name, cmd in commands.items():
            w, c = timed(cmd)
            wall[name].append(w)
            cpu[name].append(c)
    base_w = statistics.median(wall["python3 -c pass"])
    base_c = statistics.median(cpu["python3 -c pass"])
    targets = {"centrex --help": 12, "centrex sla compute (2 rows)": 20}
    print(f"load average {os.getloadavg()[0]:.2f}; median of {args.runs} runs; CPU = user + system")
    print(f"{'':32s} {'wall':>10s} {'ratio':>7s} {'CPU':>10s} {'ratio':>7s}")
    for name in commands:
        w, c = statistics.median(wall[name]), statistics.median(cpu[name])
        target = targets.get(name)
        verdict = ""
        if target is not None:
            verdict = f"  target ≤ {target}×: {'met' if w / base_w <= target else 'MISSED'} (wall)"
        print(
            f"{name:32s} {w * 1000:8.1f}ms {w / base_w:6.1f}× {c * 1000:8.1f}ms {c / base_c:6.1f}×{verdict}"
        )


if __name__ == "__main__":
    main()
