"""Benchmark of the tickets as providers record them (issue 16): every figure a ratio measured in this run.

One replication of the demo scenario scaled to `--sites` sites × 1 year, CPU seconds (the machine is
shared), medians of `--repeat` runs, the two variants interleaved:
- [1] the ticket phase — tickets with detections and requests awaiting the customer, replacements and
  their warranty state, the engine's incident rows, the kernel's objectives (`check_objectives`) —
  ÷ the SimPy phase of the same replication, without and with the `tickets:` keys;
- [2] one whole replication (model, tickets, bills, SLA engine, tables) with the keys ÷ without them.

Run: python bench/tickets_bench.py [--sites 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sim import replication as rep  # noqa: E402
from sim.scenario import Scenario, TicketRecording, load_scenario  # noqa: E402

DEMO = ROOT / "scenarios" / "demo.yaml"
KEYS = TicketRecording.model_validate(
    {
        "provider_detected": 0.4,
        "pending": {"share": 0.3, "answer": {"mean_minutes": 1800}, "never_answers": 0.2},
    }
)


def scaled(s: Scenario, sites: int) -> Scenario:
    """The demo scenario with every group (and its crews) scaled to about `sites` sites."""
    f = sites / sum(g.count for g in s.site_groups)
    groups = [g.model_copy(update={"count": max(1, round(g.count * f))}) for g in s.site_groups]
    crews = {k: max(1, round(v * f)) for k, v in s.repair.crews.items()}
    return s.model_copy(
        update={"site_groups": groups, "repair": s.repair.model_copy(update={"crews": crews})}
    )


def ticket_phase(s: Scenario) -> tuple[float, float, int]:
    """(ticket-phase CPU s, SimPy CPU s, tickets) of replication 0: the steps `run_replication` takes
    between the model and the bills, plus the objectives it checks after the engine."""
    ctx = rep.context(s)
    rngs = rep.replication_rngs(s.seed, 0)
    installs, start_day, changes, until = rep._life(ctx, rngs)
    active = np.zeros(len(ctx.fleet))
    for i in installs:
        active[i] = rep.service_start_minute(start_day[i], ctx.origin)
    active[active >= ctx.horizon] = np.inf
    c0 = time.process_time()
    raw = rep.FleetModel(s, ctx.fleet, active, ctx.clocks, rngs["first_failures"], rngs["dynamics"]).run()
    sim_cpu = time.process_time() - c0
    sw = rep.sweep(ctx.fleet, active, raw)
    c1 = time.process_time()
    tks, reps = rep._tickets(
        ctx, raw, sw, rngs["notification"], rep.stream(s.seed, 0, "tickets"), installs, 0
    )
    tt = rep.ticket_times(ctx, tks)
    incs = rep._profile_incidents(ctx, tks, tt)
    rep._restorations(ctx, tks, tt, incs, None)
    rep._replacements(ctx, reps)
    rep._incidents_columns(ctx, tks, tt)
    return time.process_time() - c1, sim_cpu, len(tks)


def whole(s: Scenario) -> float:
    c0 = time.process_time()
    rep.run_replication(s, 0, s.seed)
    return time.process_time() - c0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sites", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    base = scaled(load_scenario(DEMO), args.sites)
    keyed = base.model_copy(update={"tickets": KEYS})
    n = sum(g.count for g in base.site_groups)
    phase: dict[str, list[tuple[float, float, int]]] = {"without": [], "with": []}
    runs: dict[str, list[float]] = {"without": [], "with": []}
    for _ in range(args.repeat):  # interleaved, so both see the same load
        for name, s in (("without", base), ("with", keyed)):
            phase[name].append(ticket_phase(s))
            runs[name].append(whole(s))
    print(
        f"[1] ticket phase / SimPy phase, {n:,} sites x {base.duration_days} days"
        f" (CPU, median of {args.repeat})"
    )
    for name in ("without", "with"):
        t = statistics.median(x[0] for x in phase[name])
        m = statistics.median(x[1] for x in phase[name])
        print(
            f"  {name:8} tickets: keys  {phase[name][0][2]:8,} tickets"
            f"  {t:6.2f} s / {m:6.2f} s = {t / m:5.3f}"
        )
    w, wo = statistics.median(runs["with"]), statistics.median(runs["without"])
    print(f"[2] whole replication with / without the tickets: keys  {w:6.2f} s / {wo:6.2f} s = {w / wo:5.3f}")


if __name__ == "__main__":
    main()
