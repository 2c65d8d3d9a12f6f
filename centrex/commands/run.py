"""`centrex run` and `centrex validate`: simulate a fleet scenario; check it against the analytic model."""

from __future__ import annotations

from pathlib import Path

import typer

from centrex import options
from centrex.output import Format, emit, info, progress
from sim.rundir import Detail, Outputs

SCENARIO = typer.Argument(..., help="Scenario YAML file (see scenarios/).", show_default=False)
REPLICATIONS = typer.Option(None, "--replications", "-n", help="Replications (default: the scenario's).")
SEED = typer.Option(None, "--seed", help="Base seed (default: the scenario's); same seed, same bytes.")
WORKERS = options.WORKERS
SCHEDULER = options.SCHEDULER
FORMAT = options.FORMAT
OUTPUTS = typer.Option(
    Outputs.csv,
    "--outputs",
    help="Tables as CSV files, or as Parquet datasets partitioned by replication (written by the workers).",
)
DETAIL = typer.Option(
    Detail.default,
    "--detail",
    help="default: events and restorations of every replication, the other tables of replication 0; "
    "all: every table of every replication; none: only the summary and the report.",
)


class _Bar:
    """Progress over replications and over simulated time (advanced per finished replication)."""

    def __init__(self, bar, days_per_replication: int, replications: int) -> None:
        self.bar = bar
        self.reps = bar.add_task("replications", total=replications)
        self.days = bar.add_task("simulated days", total=replications * days_per_replication)
        self.step = days_per_replication

    def __call__(self, _result) -> None:
        self.bar.advance(self.reps)
        self.bar.advance(self.days, self.step)


def run(
    scenario: Path = SCENARIO,
    out: Path = typer.Option(
        None, "--out", "-o", help="Run directory (default: runs/<scenario>-<timestamp>/)."
    ),
    replications: int = REPLICATIONS,
    seed: int = SEED,
    workers: int = WORKERS,
    scheduler: str = SCHEDULER,
    db: str = typer.Option(
        None,
        "--db",
        help="Inventory to provision (must be empty): a file path or a URL, e.g. postgresql://…;"
        " default inventory.db inside the run directory.",
    ),
    sip: bool = typer.Option(
        False, "--sip", help="Check the provisioned fleet on a local Kamailio (needs Kamailio)."
    ),
    outputs: Outputs = OUTPUTS,
    detail: Detail = DETAIL,
    fmt: Format = FORMAT,
) -> None:
    """Simulate a fleet scenario, provision replication 0's fleet into an inventory, write the run
    directory (events, tickets, bills, SLA statements, inventory.db; with --sip the PBX checks).

    Example: centrex run scenarios/demo.yaml --replications 20 --seed 7 --out runs/demo --sip
    """
    from centrex.provision.stage import Stage, check, provision
    from centrex.report import write_report
    from sim.lifecycle import fleet_lifecycle
    from sim.run import prepare, run_scenario
    from sim.runner import default_workers
    from sim.summary import lifecycle_rows, summary_rows

    parsed, text = prepare(scenario, replications, seed)
    stage = Stage(parsed, str(scenario), text, db, sip, outputs, detail)
    check(stage)  # before any replication: ranges, channel keys, Kamailio, an empty --db
    with progress() as bar:
        state: dict = {}

        def start(s) -> None:
            state["cb"] = _Bar(bar, s.duration_days, s.replications)

        def result(r) -> None:
            state["cb"](r)

        def finalize(tmp: Path) -> None:
            task = bar.add_task("inventory steps", total=None)
            checks = bar.add_task("SIP account checks", total=None, visible=sip)
            state["figures"] = provision(
                stage,
                tmp,
                fleet_lifecycle(parsed, parsed.seed),
                on_step=lambda n: bar.advance(task, n),
                on_check=lambda _r: bar.advance(checks),
            )
            write_report(tmp)

        outcome = run_scenario(
            scenario,
            out=out,
            replications=replications,
            seed=seed,
            workers=workers or default_workers(),
            scheduler=scheduler,
            outputs=outputs,
            detail=detail,
            on_start=start,
            on_result=result,
            finalize=finalize,
        )
    s = state["figures"]["summary"]
    emit(
        summary_rows(s) if fmt is not Format.json else s,
        fmt,
        title=f"{s['scenario']}: {s['replications']} replications, seed {s['seed']}",
    )
    if fmt is not Format.json and (life_rows := lifecycle_rows(s)):
        emit(life_rows, fmt, title="terminations, moves, cancellations and tickets (P50/P95 per profile)")
    info(f"run written to {outcome.out}")
    figures = state["figures"]
    prov = figures["provisioning"]
    moves, sites = prov["moves"], prov["sites"]
    changed = moves["kept_numbers"] + moves["new_numbers"]
    life = (
        f"; {changed} moves ({moves['new_numbers']} with new numbers, {len(moves['refused'])} refused), "
        f"{sites.get('terminated', 0)} sites terminated"
        if changed or sites.get("terminated")
        else ""
    )
    info(
        f"inventory: {prov['ports_completed']} ports completed, "
        f"{len(prov['exhausted'])} installs failed (numbers_exhausted){life}"
    )
    if "sip" in figures:
        sipf = figures["sip"]
        broken = [t["tenant"] for t in sipf["tenants"] if t["limit"] == "broken"]
        info(
            f"sip: {sipf['registered']}/{sipf['accounts']} accounts registered, "
            f"{len(sipf['tenants']) - len(broken)}/{len(sipf['tenants'])} tenant limits held"
        )
        if sipf["refused"] or broken or not all(c["passed"] for c in sipf["security"]):
            raise typer.Exit(1)


def validate(
    scenario: Path = SCENARIO,
    replications: int = REPLICATIONS,
    seed: int = SEED,
    workers: int = WORKERS,
    scheduler: str = SCHEDULER,
    fmt: Format = FORMAT,
) -> None:
    """Compare the simulated long-run availability per topology (99 % CI) with the analytic value.

    The analytic value is computed from the topology graph's minimal cut sets and the components'
    MTBF/MTTR; storms, maintenance and installs are switched off for the comparison.

    Example: centrex validate scenarios/demo.yaml --replications 30
    """
    from sim.runner import default_workers
    from sim.validation import validate_scenario

    with progress() as bar:
        task = bar.add_task("replications", total=None)
        rows = validate_scenario(
            scenario,
            replications=replications,
            seed=seed,
            workers=workers or default_workers(),
            scheduler=scheduler,
            on_result=lambda _r: bar.advance(task),
        )
    emit(rows, fmt, title="simulated vs analytic availability per topology")


def register(root: typer.Typer) -> None:
    """Add `run` and `validate` to the root app."""
    root.command("run")(run)
    root.command("validate")(validate)
