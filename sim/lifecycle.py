"""Replication 0's fleet as plain data: what an inventory must record of each site and its port.

The simulation does not know the inventory (`sim` never imports `provisioning`): it says when each site
was ordered and entered service, and what happened to its mandate; `centrex` applies that to an
inventory through the `provisioning` package.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sim.addresses import Address, site_address
from sim.choices import InstallOutcome
from sim.porting import Port
from sim.replication import context, lifecycle
from sim.scenario import Scenario


@dataclass(frozen=True)
class SiteLife:
    """One site of the fleet: its group, owner, address, handsets, order and service-start dates."""

    site: str
    group: int  # index in scenario.site_groups
    customer: str
    profile: str
    address: Address
    handsets: int
    ordered: date
    service_start: date | None  # None: never in service (install terminated) or after the horizon
    outcome: str  # in_service | terminated | not_started


@dataclass(frozen=True)
class FleetLifecycle:
    """Every site of a replication (fleet order) and the mandates of the sites that port numbers."""

    sites: list[SiteLife]
    ports: list[Port]
    end: date  # the day after the simulated period: nothing at or after it is applied


def fleet_lifecycle(s: Scenario, seed: int, index: int = 0) -> FleetLifecycle:
    """The sites and ports of replication `index`, from the same draws as its run directory's."""
    ctx = context(s)
    life = lifecycle(s, seed, index)
    fleet = ctx.fleet
    sites = []
    rank: dict[int, int] = {}
    for i, site in enumerate(fleet.sites):
        gi = int(fleet.group[i])
        g = fleet.groups[gi]
        k = rank[gi] = rank.get(gi, -1) + 1
        ins = life.installs.get(i)
        d = life.service_start[i]
        started = d is not None and d < ctx.end
        if ins is not None and ins.outcome is InstallOutcome.terminated:
            outcome = ins.outcome.value
        else:
            outcome = InstallOutcome.in_service.value if started else "not_started"
        sites.append(
            SiteLife(
                site,
                gi,
                g.customer_name,
                g.profile,
                site_address(g, k),
                int(fleet.handsets[i]),
                ins.signed if ins is not None else s.start,
                d if started else None,
                outcome,
            )
        )
    return FleetLifecycle(sites, life.ports, ctx.end)
