"""Replication 0's lifecycle as dated inventory steps, in the order they happened.

Pure data, no database: the same scenario and seed give the same steps, whatever process simulated the
replications, so the same inventory (issue 15 §7). Times of day are named below; each step is dated at
its simulated instant in Paris time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from contracts.calendar import PARIS
from contracts.choices import RejectionReason
from sim.changes import MOVE_MINUTE
from sim.choices import PortingOutcome
from sim.installs import SERVICE_START_MINUTE
from sim.lifecycle import FleetLifecycle, SiteLife, SiteMove
from sim.porting import Port
from sim.scenario import NumberZone, Scenario

ACTOR = "sim"
RANGES_AT = time(0, 0)  # the operator's ranges are loaded before anything else of the first day
EXPIRY_SWEEP_AT = time(0, 30)  # the nightly sweep of mandates past their expiry date
ORDER_AT = time(7, 30)  # the order is recorded first thing on its signature day
NUMBERS_AT = time(8, 0)  # SDA blocks are given on the service-start day, before the install
SERVICE_AT = time(SERVICE_START_MINUTE // 60, SERVICE_START_MINUTE % 60)  # calls work from noon
PORT_AT = time(10, 0)  # mandate submissions, corrections and completions happen in office hours
TERMINATE_AT = time(0, 0)  # a termination takes effect on its day, the first day without service
MOVE_AT = time(MOVE_MINUTE // 60, MOVE_MINUTE % 60)  # when the move's interruption window opens

# Ported numbers come from the donor operator's space: national `0 Z 4 xxxxxxx` with Z the site's zone
# digit (valid French numbers; the declared ranges must stay clear of it, checked before simulating).
DONOR_DIGIT = "4"

# Order of steps at one instant: ranges, terminations, expiry sweep, orders, numbers, moves, service
# start, ports.
_RANK = {"ranges": 0, "terminate": 1, "expire": 2, "order": 3, "numbers": 4, "move": 5, "start": 6, "port": 7}


@dataclass(frozen=True)
class Step:
    """One change of the inventory: when, what, on which site (batched by `apply` per instant/kind)."""

    at: datetime
    kind: str  # ranges | terminate | expire | order | numbers | move | start | port
    seq: int  # fleet order of the site (ties at one instant)
    data: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def key(self) -> tuple:
        """Sort key: instant, kind rank, fleet order."""
        return (self.at, _RANK[self.kind], self.seq)


def instant(day: date, at: time) -> datetime:
    """A tz-aware Paris instant."""
    return datetime.combine(day, at, tzinfo=PARIS)


def donor_numbers(zone: str, seq: int, count: int) -> list[int]:
    """The `count` numbers site `seq` ports from its donor operator (E.164 integers, one NDI first)."""
    base = seq * count
    if base + count > 10**7:
        raise ValueError("too many ported numbers for the donor number space")
    return [int(f"33{zone[1]}{DONOR_DIGIT}{base + j:07d}") for j in range(count)]


@dataclass(frozen=True)
class PortPlan:
    """A porting site's mandate as the inventory will see it: the numbers, the OBL's records, the data
    the customer wrote (differing from those records in exactly the way the simulation drew)."""

    port: Port
    numbers: list[int]
    holder: str  # the line's holder on the OBL's records
    address: str  # the line's address on the OBL's records
    ground: str  # the 000 §2.3 ground the simulation drew ("" when none)
    blocked: bool  # the OBL's access is not available (drawn expiry: postponed until the mandate lapses)

    def obl_records(self, fixed: bool = False) -> list[dict[str, Any]]:
        """The OBL's lines: one NDI (the first number) with every number tied to it."""
        temporary = self.ground == RejectionReason.temporary_subscription.value and not fixed
        return [
            {
                "e164": n,
                "ndi": self.numbers[0],
                "holder": self.holder,
                "address": self.address,
                "line_type": "temporary" if temporary else "permanent",
                "access_available": not self.blocked,
            }
            for n in self.numbers
        ]

    def mandate(self) -> dict[str, Any]:
        """The mandate as signed: wrong in the drawn way only (the OBL finds it, `obl.py` decides)."""
        holder, address, numbers = self.holder, self.address, list(self.numbers)
        if self.ground == RejectionReason.wrong_holder.value:
            holder = f"Gérant de {self.holder}"  # signed by someone who is not the line's holder
        elif self.ground == RejectionReason.wrong_address.value:
            address = _other_number(self.address)  # an old or mistyped street number
        elif self.ground == RejectionReason.non_exhaustive_list.value:
            numbers = numbers[:-1]  # one number tied to the NDI left out (ARCEP 2009-0637)
        return {"holder": holder, "address": address, "numbers": numbers, "expires": self.port.expires}

    def correction(self) -> dict[str, Any]:
        """What the customer fixes before resubmitting (000 §2.3): the field the OBL rejected."""
        if self.ground == RejectionReason.wrong_holder.value:
            return {"holder": self.holder}
        if self.ground == RejectionReason.wrong_address.value:
            return {"address": self.address}
        if self.ground == RejectionReason.non_exhaustive_list.value:
            return {"numbers": list(self.numbers)}
        return {}  # a temporary subscription is fixed at the OBL: the line becomes permanent


def _other_number(address: str) -> str:
    """The same address with another street number (the OBL's record keeps the right one)."""
    number, _, rest = address.partition(" ")
    return f"{int(number) + 2} {rest}" if number.isdigit() else f"2 {address}"


def site_order(s: Scenario, life: SiteLife) -> dict[str, Any]:
    """The order of one site: customer, address, equipment with serials (component names of events)."""
    g = s.site_groups[life.group]
    equipment = [("router", f"{life.site}/router")]
    equipment += [("handset", f"{life.site}/handset-{h:03d}") for h in range(1, life.handsets + 1)]
    return {
        "site": life.site,
        "customer": life.customer,
        "address": life.address.street,
        "postcode": life.address.postcode,
        "city": life.address.city,
        "profile": life.profile,
        "equipment": equipment,
        "delivered": life.ordered,
        "lease_months": g.lease_months,
    }


def steps(s: Scenario, lc: FleetLifecycle, zone_of_departement) -> list[Step]:
    """Every step of replication 0 before the end of the period, in time order.

    `zone_of_departement` maps a département to its geographic zone (the numbering plan is the
    inventory's fact, passed in so that this module stays free of the database).
    """
    out: list[Step] = []
    if s.numbering is not None:
        ranges = [(r.start, r.size) for r in s.numbering.ranges]
        out.append(Step(instant(s.start, RANGES_AT), "ranges", -1, {"ranges": ranges}))
    ports = {p.site: p for p in lc.ports}
    for seq, life in enumerate(lc.sites):
        g = s.site_groups[life.group]
        dep = life.departement or g.departement
        zone = "09" if g.numbers is NumberZone.non_geographic else zone_of_departement(dep)
        own = "09" if g.numbers is NumberZone.non_geographic else None  # None: the département's zone
        mine = [Step(instant(life.ordered, ORDER_AT), "order", seq, site_order(s, life))]
        if life.service_start is not None:
            port = ports.get(life.site)
            k = g.ported_numbers if port is not None else 0
            new = max(0, life.handsets - k)  # 000 §2.2: numbers by allocation or by portability
            day = life.service_start
            mine.append(
                Step(instant(day, NUMBERS_AT), "numbers", seq, {"site": life.site, "count": new, "zone": own})
            )
            mine.append(
                Step(instant(day, SERVICE_AT), "start", seq, {"site": life.site, "day": day, "life": life})
            )
            if port is not None:
                mine += _port_steps(s, lc, seq, life, port, zone)
        mine += [Step(instant(m.on, MOVE_AT), "move", seq, _move(life, m, own)) for m in life.moves]
        gone = life.terminated_on
        if gone is not None:
            if gone <= life.ordered:
                continue  # ended before it was ordered: the inventory never sees it
            # nothing of the site happens from its termination on (an install, a move, a port step)
            mine = [x for x in mine if x.at.date() < gone]
            mine.append(Step(instant(gone, TERMINATE_AT), "terminate", seq, {"site": life.site}))
        out += mine
    return sorted((x for x in out if x.at.date() < lc.end), key=lambda x: x.key)


def _move(life: SiteLife, move: SiteMove, zone: str | None) -> dict[str, Any]:
    """An ALLEO move (000 §3.5): the new address, and new numbers unless the site keeps its own
    (`keeps_numbers`, the simulation's `moves.numbers` choice, 000 §2.3) — from `zone` (09) or the new
    address's zone."""
    return {
        "site": life.site,
        "address": move.address.street,
        "postcode": move.address.postcode,
        "city": move.address.city,
        "new_numbers": not move.keeps_numbers,
        "zone": zone,
    }


def _port_steps(s: Scenario, lc: FleetLifecycle, seq: int, life: SiteLife, p: Port, zone: str) -> list[Step]:
    """Create at order, submit after service start, resubmit after a fix, lapse at expiry."""
    numbers = donor_numbers(zone, seq, p.numbers)
    address = f"{life.address.street}, {life.address.postcode} {life.address.city}"
    plan = PortPlan(p, numbers, life.customer, address, p.reason, p.outcome is PortingOutcome.expired)
    data = {"site": life.site, "plan": plan}
    out = [
        Step(instant(life.ordered, ORDER_AT), "port", seq, {**data, "action": "create"}),
        Step(instant(p.submitted_at, PORT_AT), "port", seq, {**data, "action": "submit"}),
    ]
    if p.resubmitted_at is not None:
        out.append(Step(instant(p.resubmitted_at, PORT_AT), "port", seq, {**data, "action": "resubmit"}))
    if p.expires is not None:
        out.append(Step(instant(p.expires + timedelta(days=1), EXPIRY_SWEEP_AT), "expire", seq, data))
    return out
