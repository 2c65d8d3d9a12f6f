"""Replication 0's fleet as plain data: what an inventory must record of each site and its port.

The simulation does not know the inventory (`sim` never imports `provisioning`): it says when each site
was ordered and entered service, and what happened to its mandate; `centrex` applies that to an
inventory through the `provisioning` package.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sim.addresses import Address, postcode, site_address
from sim.choices import InstallOutcome, LifeEvent
from sim.context import context
from sim.porting import Port
from sim.replication import lifecycle
from sim.scenario import Scenario


@dataclass(frozen=True)
class SiteMove:
    """An ALLEO site's move (000 §3.5) on `on` to `address` in `departement`; `keeps_numbers` false: a new
    block, the old one to quarantine (000 §2.3, the `moves.numbers` choice)."""

    on: date
    address: Address
    departement: str
    keeps_numbers: bool


@dataclass(frozen=True)
class SiteLife:
    """One site of the fleet: its group, owner, address, handsets, order and service-start dates, its
    moves and the day its termination takes effect.

    A move under a profile without a move clause is the old site's `terminated_on` and a new site (its
    own name, `<site>-m1`, ordered and in service on the move's day at the new address)."""

    site: str
    group: int  # index in scenario.site_groups
    customer: str
    profile: str
    address: Address
    handsets: int
    ordered: date
    service_start: date | None  # None: never in service (install terminated) or after the horizon
    outcome: str  # in_service | terminated | cancelled | not_started
    moves: tuple[SiteMove, ...] = ()
    terminated_on: date | None = None  # first day without service (None: not terminated in the run)
    departement: str | None = None  # where the site is at its order (None: its group's)


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
    moves: dict[int, list] = {}
    for c in life.changes:
        moves.setdefault(c.site, []).append(c)
    reordered: list[SiteLife] = []
    for i, site in enumerate(fleet.sites):
        gi = int(fleet.group[i])
        g = fleet.groups[gi]
        k = rank[gi] = rank.get(gi, -1) + 1
        ins = life.installs.get(i)
        d = life.service_start[i]
        started = d is not None and d < ctx.end
        if ins is not None and ins.outcome in (InstallOutcome.terminated, InstallOutcome.cancelled):
            outcome = ins.outcome.value
        else:
            outcome = InstallOutcome.in_service.value if started else "not_started"
        address = site_address(g, k)
        kept: list[SiteMove] = []
        for c in moves.get(i, []):
            if c.event is not LifeEvent.move or c.note:
                continue
            dest = Address(address.street, postcode(c.departement, k + 1), f"Commune {c.departement}")
            if c.until is None:  # ALLEO: the same contract at the new address
                kept.append(SiteMove(c.on, dest, c.departement, bool(c.keeps_numbers)))
            else:  # a termination, then a new order at the new address
                reordered.append(
                    SiteLife(
                        f"{site}-m1",
                        gi,
                        g.customer_name,
                        g.profile,
                        dest,
                        int(fleet.handsets[i]),
                        c.on,
                        c.on,
                        InstallOutcome.in_service.value,
                        departement=c.departement,
                    )
                )
        gone = life.until[i] if life.until else None
        sites.append(
            SiteLife(
                site,
                gi,
                g.customer_name,
                g.profile,
                address,
                int(fleet.handsets[i]),
                ins.signed if ins is not None else s.start,
                d if started else None,
                outcome,
                tuple(kept),
                gone if gone is not None and gone < ctx.end else None,
            )
        )
    return FleetLifecycle(sites + reordered, life.ports, ctx.end)
