"""The report's sections, computed from a loaded run: tables of figures and the SVG plots that show them.

No contract rule is restated here: objectives, the causes that count, the install-delay threshold and the
business calendars come from the contract profiles (`contracts.profile`), with the choices recorded in the
run's `sla.json`.
"""

from __future__ import annotations

from collections.abc import Callable

from centrex.report.common import Section, Table, profiles_in_force
from centrex.report.credits import INSTALL_DELAY, UNATTRIBUTED, credits, credits_by_cause, liability
from centrex.report.fleet import availability, merged_minutes, worst_sites
from centrex.report.inventory import provisioning, sip
from centrex.report.lifecycle import lifecycle, tickets
from centrex.report.operations import installs, porting, restoration
from centrex.report.rundir import Run
from centrex.report.scenario import scenario
from contracts.profile import Profile
from sim.rundir import Detail

__all__ = [
    "INSTALL_DELAY",
    "SECTIONS",
    "UNATTRIBUTED",
    "Section",
    "Table",
    "availability",
    "build_sections",
    "credits",
    "credits_by_cause",
    "installs",
    "liability",
    "lifecycle",
    "merged_minutes",
    "porting",
    "profiles_in_force",
    "provisioning",
    "restoration",
    "scenario",
    "sip",
    "tickets",
    "worst_sites",
]


#: The sections in reading order: (id, builder). A builder takes the run and its profiles in force.
SECTIONS: tuple[tuple[str, Callable[[Run, dict[str, Profile]], Section]], ...] = (
    ("availability", availability),
    ("worst sites", lambda run, _profiles: worst_sites(run)),
    ("credits", credits),
    ("liability", lambda run, _profiles: liability(run)),
    ("restoration", restoration),
    ("tickets", tickets),
    ("installs", installs),
    ("lifecycle", lifecycle),
    ("porting", lambda run, _profiles: porting(run)),
    ("provisioning", lambda run, _profiles: provisioning(run)),
    ("sip", lambda run, _profiles: sip(run)),
    ("scenario", scenario),
)


#: The sections built from the summary alone: all a run written with `--detail none` has.
SUMMARY_SECTIONS = ("availability", "liability", "scenario")


def build_sections(run: Run, on_step: Callable[[str], None] | None = None) -> list[Section]:
    """Every section of the report, in reading order; `on_step(name)` after each (a progress bar)."""
    profiles = profiles_in_force(run)
    built = []
    for name, builder in SECTIONS:
        if run.detail is Detail.none and name not in SUMMARY_SECTIONS:
            if on_step is not None:
                on_step(name)
            continue
        built.append(builder(run, profiles))
        if on_step is not None:
            on_step(name)
    return built
