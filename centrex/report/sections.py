"""The report's sections, computed from a loaded run: tables of figures and the SVG plots that show them.

No contract rule is restated here: objectives, the causes that count, the install-delay threshold and the
business calendars come from the contract profiles (`contracts.profile`), with the choices recorded in the
run's `sla.json`.
"""

from __future__ import annotations

from centrex.report.common import Section, Table, profiles_in_force
from centrex.report.credits import INSTALL_DELAY, UNATTRIBUTED, credits, credits_by_cause, liability
from centrex.report.fleet import availability, merged_minutes, worst_sites
from centrex.report.operations import installs, porting, restoration
from centrex.report.rundir import Run
from centrex.report.scenario import scenario

__all__ = [
    "INSTALL_DELAY",
    "UNATTRIBUTED",
    "Section",
    "Table",
    "availability",
    "build_sections",
    "credits",
    "credits_by_cause",
    "installs",
    "liability",
    "merged_minutes",
    "porting",
    "profiles_in_force",
    "restoration",
    "scenario",
    "worst_sites",
]


def build_sections(run: Run) -> list[Section]:
    """Every section of the report, in reading order."""
    profiles = profiles_in_force(run)
    return [
        availability(run, profiles),
        worst_sites(run),
        credits(run, profiles),
        liability(run),
        restoration(run, profiles),
        installs(run, profiles),
        porting(run),
        scenario(run, profiles),
    ]
