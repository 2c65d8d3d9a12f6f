"""Replication 0's lifecycle as plain data: what an inventory must record of each site and its port.

The simulation does not know the inventory (`sim` never imports `provisioning`): it says when each site
was ordered and entered service, and what happened to its mandate; `centrex` applies that to an
inventory through the `provisioning` package.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sim.addresses import Address
from sim.porting import Port


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
class Lifecycle:
    """Every site of replication 0 (fleet order) and the mandates of the sites that port numbers."""

    sites: list[SiteLife]
    ports: list[Port]
    end: date  # the day after the simulated period: nothing at or after it is applied
