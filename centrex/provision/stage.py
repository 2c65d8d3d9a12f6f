"""The provisioning stage of `centrex run`: checked before simulating, applied inside the run directory.

The default inventory is `inventory.db` (SQLite) in the run's temp directory, so it is renamed into
place with every other file or not at all; `--db URL` (PostgreSQL included) provisions an empty
inventory elsewhere, one transaction per step.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from centrex.provision import pbxstage
from centrex.provision.apply import apply_steps
from centrex.provision.outputs import write_outputs
from centrex.provision.plan import DONOR_DIGIT, steps
from contracts.errors import InputError
from provisioning import db
from provisioning.plan import ZONE_OF_DEPARTEMENT
from sim.context import scenario_profiles
from sim.lifecycle import FleetLifecycle
from sim.rundir import Detail, Outputs
from sim.scenario import NumberZone, Scenario, has_channel_allowance, line_of

INVENTORY_FILE = "inventory.db"


@dataclass(frozen=True)
class Stage:
    """What the run asked: where the inventory goes (None: inventory.db in the run) and the SIP checks."""

    scenario: Scenario
    source: str  # the scenario file (errors name it)
    text: str
    db_url: str | None = None
    sip: bool = False
    outputs: Outputs = Outputs.csv
    detail: Detail = Detail.default

    def url(self, tmp: Path) -> str:
        """The inventory's URL for a run being written in `tmp`."""
        return self.db_url or f"sqlite:///{tmp / INVENTORY_FILE}"


def _error(st: Stage, path: tuple, reason: str) -> InputError:
    field = ".".join(str(p) for p in path)
    return InputError(reason, file=st.source, line=line_of(st.text, path), field=field)


def check(st: Stage) -> None:
    """Everything the stage needs, checked before a replication is simulated (exit 2, no output)."""
    s = st.scenario
    if s.numbering is None:
        raise _error(st, ("numbering",), "a run provisions its fleet: declare `numbering: ranges: [...]`")
    zones = {r.zone for r in s.numbering.ranges}
    for i, r in enumerate(s.numbering.ranges):
        if r.start[4] == DONOR_DIGIT:
            raise _error(
                st,
                ("numbering", "ranges", i, "start"),
                f"0{r.start[3]} {DONOR_DIGIT}x numbers are the donor operators' (ported-in numbers)",
            )
    profiles = scenario_profiles(s)
    for i, g in enumerate(s.site_groups):
        zone = "09" if g.numbers is NumberZone.non_geographic else ZONE_OF_DEPARTEMENT.get(g.departement)
        if zone not in zones:
            raise _error(
                st,
                ("site_groups", i, "departement"),
                f"no range declared for zone {zone} (numbering.ranges)" if zone else "département not served",
            )
        if st.sip and g.channels is None and not has_channel_allowance(profiles[g.profile]):
            raise _error(
                st,
                ("site_groups", i, "channels"),
                f"--sip checks the tenant's channel limit: give the channels {g.profile} sites are sold",
            )
    if st.sip:
        pbxstage.require_kamailio()
    if st.db_url is not None:
        _check_empty(st.db_url)


def _check_empty(url: str) -> None:
    from provisioning.inventory import list_sites

    db.resolve_url(url)
    with db.session_scope(url) as ses:
        if list_sites(ses):
            raise InputError("the inventory already has sites: a run provisions an empty one", field="--db")


def provision(st: Stage, tmp: Path, lc: FleetLifecycle, on_step=None, on_check=None) -> dict[str, Any]:
    """Apply the lifecycle, write porting.csv, provisioning.json (and with --sip sip.json, sip-junit.xml),
    add the figures to summary.json; return them."""
    url = st.url(tmp)
    try:
        db.upgrade(url)
        applied = apply_steps(
            url,
            st.scenario,
            lc,
            steps(st.scenario, lc, ZONE_OF_DEPARTEMENT.__getitem__),
            scenario_profiles(st.scenario),
            on_step,
        )
        figures: dict[str, Any] = {
            "provisioning": write_outputs(tmp, url, applied, lc, st.outputs, st.detail)
        }
        if st.sip:
            figures["sip"] = pbxstage.check_fleet(url, tmp, on_check)
    finally:
        db.dispose_all()  # close the SQLite file (and its WAL) before the directory is renamed
    summary_path = tmp / "summary.json"
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    prov = figures["provisioning"]
    summary["provisioning"] = {
        "inventory": INVENTORY_FILE if st.db_url is None else "external",
        "numbers_exhausted": len(prov["exhausted"]),
        "ports_completed": prov["ports_completed"],
    }
    if "sip" in figures:
        sip = figures["sip"]
        summary["sip"] = {
            "accounts_registered": sip["registered"],
            "accounts_refused": sip["refused"],
            "tenant_limits_held": sum(t["limit"] == "held" for t in sip["tenants"]),
            "tenant_limits_broken": sum(t["limit"] == "broken" for t in sip["tenants"]),
        }
    summary_path.write_text(json.dumps(summary, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return {**figures, "summary": summary}
