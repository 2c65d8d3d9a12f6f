"""`centrex report RUN_DIR`: rebuild a run's HTML report from the files of its run directory."""

from __future__ import annotations

from pathlib import Path

import typer

from centrex.output import info, progress


def report(
    run_dir: Path = typer.Argument(..., help="A run directory written by `centrex run … --out DIR`."),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Where to write the HTML (default RUN_DIR/report.html)."
    ),
) -> None:
    """Rebuild the HTML report of a scenario run: one self-contained file that opens offline.

    Sections: availability per profile, worst sites, credits by cause, liability (P50/P95), restorations,
    installs, porting, the scenario and its choices. `centrex run` writes the same file at the end of a run.

    Example:

        centrex report runs/demo --out /tmp/demo-report.html
    """
    from centrex.report import REPORT_STEPS, write_report

    with progress() as bar:
        task = bar.add_task("report", total=REPORT_STEPS)
        path = write_report(run_dir, out, on_step=lambda name: bar.update(task, advance=1, description=name))
    info(f"wrote {path}")


def register(root: typer.Typer) -> None:
    """Add the `report` command to the root app."""
    root.command("report")(report)
