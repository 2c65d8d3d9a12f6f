"""`centrex sweep`: what a contract costs as crews, repair times, backup links and choices change.

The simulation and report packages are imported when the command runs, so `centrex --help` stays lean.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from centrex import options
from centrex.output import Format, emit, info, progress
from sim.rundir import Detail, Outputs

SCENARIO = typer.Argument(..., help="Scenario YAML file (see scenarios/).", show_default=False)


def sweep(
    scenario: Path = SCENARIO,
    vary: list[str] = typer.Option(
        ...,
        "--vary",
        help="KEY=V1,V2,… (repeatable; the grid is every combination). KEY is a dotted scenario path, a "
        "site group by index or name (site_groups.alleo-paris.backup_link); values: 1,2,4 or 1..6 or "
        "0.1:0.9:0.2.",
        show_default=False,
    ),
    replications: int = typer.Option(
        None, "--replications", "-n", help="Replications per point (default: the scenario's)."
    ),
    seed: int = typer.Option(None, "--seed", help="Base seed of every point (common random numbers)."),
    workers: int = options.WORKERS,
    scheduler: str = options.SCHEDULER,
    out: Path = typer.Option(
        None, "--out", "-o", help="Sweep directory (default: runs/<scenario>-sweep-<timestamp>/)."
    ),
    objective: list[str] = typer.Option(
        [],
        "--objective",
        help="MEASURE OP NUMBER on a point's aggregate, e.g. 'credits_owed_eur.allset.p95 <= 2000' "
        "(repeatable: all must hold).",
    ),
    minimise: str = typer.Option(
        None,
        "--minimise",
        "--minimize",
        help="Varied key to keep lowest among the points meeting every --objective.",
    ),
    keep_points: bool = typer.Option(
        False, "--keep-points", help="Also write each point's full run directory under points/."
    ),
    outputs: Outputs = typer.Option(
        Outputs.csv, "--outputs", help="The kept points' tables as CSV files or Parquet datasets (as run)."
    ),
    detail: Detail = typer.Option(
        Detail.default, "--detail", help="Which tables the kept points' run directories hold (as run)."
    ),
    fmt: Format = options.FORMAT,
) -> None:
    """Run a scenario at every point of a grid of what-if values and compare the points, with CIs.

    Replication r of every point draws the same random streams (common random numbers).

    Writes sweep.json, sweep.csv and sweep.html; --objective with --minimise prints the recommended point.

    Example: centrex sweep scenarios/demo.yaml --vary repair.crews.sud-est=1..4 --replications 10
    """
    from centrex.report import write_report
    from centrex.report.sweep import write_sweep_html
    from sim.objectives import recommendation_lines
    from sim.runner import default_workers
    from sim.summary import summary_rows
    from sim.sweep import run_sweep

    with progress() as bar:
        state: dict = {}

        def start(points, n: int) -> None:
            state["points"] = bar.add_task("points", total=len(points))
            state["reps"] = bar.add_task("replications", total=len(points) * n)
            state["n"], state["seen"] = n, {}

        def one(point, _result) -> None:
            bar.advance(state["reps"])
            seen = state["seen"]
            seen[point.index] = seen.get(point.index, 0) + 1
            if seen[point.index] == state["n"]:
                bar.advance(state["points"])

        outcome = run_sweep(
            scenario,
            vary,
            out=out,
            replications=replications,
            seed=seed,
            workers=default_workers() if workers is None else workers,
            scheduler=scheduler,
            objectives=objective,
            minimise=minimise,
            keep_points=keep_points,
            outputs=outputs,
            detail=detail,
            on_start=start,
            on_result=one,
            finalize=write_sweep_html,
            finalize_point=lambda tmp: write_report(tmp),
        )
    doc = outcome.sweep
    if fmt is Format.json:
        emit(doc, fmt)
    else:
        rows = []
        for p in doc["points"]:
            summary = {"sites": p["sites"], "aggregate": p["aggregate"]}
            for r in summary_rows(summary):
                prof = r["profile"]
                diff = p["paired_vs_point_0"]["credits_owed_eur"][prof]
                del r["claimed_p50_€"]  # in sweep.json and sweep.csv; the terminal keeps what is owed
                r["owed_mean_€"] = p["aggregate"]["credits_owed_eur"][prof]["mean"]
                r["Δowed_vs_0_€"] = "" if diff is None else _diff(diff)
                rows.append({"point": p["point"], **p["values"], **r})
        emit(
            rows,
            fmt,
            title=f"{doc['scenario']}: {len(doc['points'])} points × {doc['replications']} replications, "
            f"seed {doc['seed']}",
        )
    sys.stdout.flush()
    rec = doc["recommendation"]
    if rec is not None and fmt is Format.table:
        for line in recommendation_lines(rec, doc["replications"]):
            typer.echo(line)
    sys.stdout.flush()
    info(f"sweep written to {outcome.out}")


def _diff(d: dict) -> str:
    """A paired difference with its CI, e.g. `-26.5 (-41.2…-11.8)`."""
    lo, hi = d["ci95"]
    return f"{d['mean']:.1f} ({lo:.1f}…{hi:.1f})"


def register(root: typer.Typer) -> None:
    """Add `sweep` to the root app."""
    root.command("sweep")(sweep)
