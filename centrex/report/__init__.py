"""The HTML report of a scenario run: load the run directory, compute the sections, render one file."""

from centrex.report.render import (
    REPORT_STEPS,
    render_capacity_html,
    render_report,
    write_capacity_html,
    write_report,
)
from centrex.report.rundir import REQUIRED_FILES, Run, load_run

__all__ = [
    "REPORT_STEPS",
    "REQUIRED_FILES",
    "Run",
    "load_run",
    "render_capacity_html",
    "render_report",
    "write_capacity_html",
    "write_report",
]
