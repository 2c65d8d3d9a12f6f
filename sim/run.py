"""`centrex run` as one domain function: validate, simulate the replications, write the run directory."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracts.errors import InputError
from contracts.profile import Profile
from sim.context import scenario_profiles
from sim.outputs import RunWriter, default_out_dir, provenance
from sim.replication import Result
from sim.rundir import Detail, Outputs
from sim.runner import run_replications
from sim.scenario import Scenario, load_scenario
from sim.summary import summarize


@dataclass(frozen=True)
class RunOutcome:
    """Where the run was written and its summary."""

    out: Path
    summary: dict[str, Any]
    results: list[Result]


def prepare(path: str | Path, replications: int | None, seed: int | None) -> tuple[Scenario, str]:
    """Load and validate the scenario, with the command-line overrides applied."""
    return overrides(load_scenario(path), replications, seed), Path(path).read_text(encoding="utf-8")


def overrides(scenario: Scenario, replications: int | None, seed: int | None) -> Scenario:
    """The scenario with `--replications` and `--seed` applied (checked)."""
    if replications is not None:
        if replications < 1:
            raise InputError("must be at least 1", field="--replications")
        scenario = scenario.model_copy(update={"replications": replications})
    if seed is not None:
        if seed < 0:
            raise InputError("must be >= 0", field="--seed")
        scenario = scenario.model_copy(update={"seed": seed})
    return scenario


def scenario_summary(
    scenario: Scenario,
    profiles: dict[str, Profile],
    results: list[Result],
    *,
    outputs: Outputs = Outputs.csv,
    detail: Detail = Detail.default,
) -> dict[str, Any]:
    """summary.json of a scenario's results: sites per profile, the choices in force, the aggregates,
    and the run directory's format and detail when they are not the defaults."""
    sites: dict[str, int] = {}
    for g in scenario.site_groups:
        sites[g.profile] = sites.get(g.profile, 0) + g.count
    summary = summarize(
        scenario.name,
        scenario.seed,
        results,
        dict(sorted(sites.items())),
        {n: v["choices"] for n, v in provenance(profiles).items()},
    )
    if outputs is not Outputs.csv or detail is not Detail.default:
        summary["outputs"] = {"format": outputs.value, "detail": detail.value}
    return summary


def check_writable(target: Path) -> None:
    """Fail before simulating when the run directory cannot be created next to its parent."""
    parent = target.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise InputError("cannot create the run directory here", file=str(target), field="--out")


def run_scenario(
    path: str | Path,
    *,
    out: str | Path | None = None,
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    outputs: Outputs = Outputs.csv,
    detail: Detail = Detail.default,
    on_result: Callable[[Result], None] | None = None,
    on_start: Callable[[Scenario], None] | None = None,
    finalize: Callable[[Path], None] | None = None,
) -> RunOutcome:
    """Run a scenario file and write its run directory; bad input raises InputError before any output.

    Replications are written as they finish and only their metrics are kept (`sim.outputs.RunWriter`).
    """
    scenario, text = prepare(path, replications, seed)
    if workers < 1:
        raise InputError("must be at least 1", field="--workers")
    target = Path(out) if out is not None else default_out_dir(scenario.name)
    if target.exists():
        raise InputError("output directory already exists", file=str(target), field="--out")
    check_writable(target)
    profiles = scenario_profiles(scenario)
    if on_start is not None:
        on_start(scenario)
    try:
        with RunWriter(target, outputs, detail, profiles) as writer:

            def arrived(r: Result) -> Result:
                kept = writer.add(r)
                if on_result is not None:
                    on_result(kept)
                return kept

            results = run_replications(
                scenario,
                scenario.replications,
                scenario.seed,
                workers=workers,
                scheduler=scheduler,
                on_result=arrived,
                detail=detail,
                sink=writer.sink if outputs is Outputs.parquet else None,
            )
            summary = scenario_summary(scenario, profiles, results, outputs=outputs, detail=detail)
            writer.finish(
                scenario_text=text,
                resolved=scenario.model_dump(mode="json"),
                summary=summary,
                finalize=finalize,
            )
    except OSError as exc:
        raise InputError(
            f"cannot write the run directory: {exc.strerror}", file=str(target), field="--out"
        ) from None
    return RunOutcome(target, summary, results)
