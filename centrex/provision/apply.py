"""Apply a run's dated steps to an inventory, each through `provisioning.fleet` at its simulated instant.

One transaction per simulated instant (the orders of one morning go as one bulk call, the service
starts of one noon as another); actor `sim`. What the inventory decides — a block it cannot give
(`numbers_exhausted`), the OBL's answer to a mandate — is read back, never assumed.
"""

from __future__ import annotations

import heapq
import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from centrex.provision.plan import ACTOR, PORT_AT, PortPlan, Step, instant
from provisioning import db, fleet
from provisioning.accounts import ha1
from provisioning.mandates import earliest_port_date, get_mandate
from sim.lifecycle import FleetLifecycle
from sim.scenario import Scenario, has_channel_allowance

TENANT_DOMAIN = "{slug}.sim.test"  # one SIP domain (digest realm) per customer account


@dataclass
class PortRecord:
    """What became of one site's mandate, as the inventory decided it."""

    site: str
    mandate: int
    submitted_at: date
    reason: str | None = None  # the OBL's first rejection ground (obl.py), if any
    state: str = "draft"
    port_date: date | None = None


@dataclass
class Applied:
    """The inventory's outcomes of the run: exhausted installs and every mandate."""

    exhausted: dict[str, str] = field(default_factory=dict)  # site → reason (numbers_exhausted)
    ports: dict[str, PortRecord] = field(default_factory=dict)
    steps: int = 0
    moved: dict[str, bool] = field(default_factory=dict)  # site → got new numbers (last move)
    move_exhausted: dict[str, str] = field(default_factory=dict)  # site → reason: its move was refused
    terminated: list[str] = field(default_factory=list)


def tenant_domain(customer: str) -> str:
    """The SIP domain of a customer's tenant: its name made a DNS label."""
    plain = unicodedata.normalize("NFKD", customer).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", plain).strip("-") or "customer"
    return TENANT_DOMAIN.format(slug=slug[:63].strip("-"))


def tenant_specs(s: Scenario, profiles) -> dict[str, fleet.TenantSpec]:
    """One tenant per customer account (004 §11.d « compte »), with its contracted channels: ALLOcloud's
    come from its counted users (kept by the inventory), the others' from the groups' `channels`."""
    out: dict[str, fleet.TenantSpec] = {}
    channels: dict[str, int | None] = {}
    for g in s.site_groups:
        c = g.customer_name
        if not has_channel_allowance(profiles[g.profile]) and g.channels is not None:
            channels[c] = (channels.get(c) or 0) + g.channels
        out.setdefault(c, fleet.TenantSpec(c, tenant_domain(c), c, g.profile))
    return {
        c: fleet.TenantSpec(t.name, t.domain, t.customer, t.profile, channels.get(c)) for c, t in out.items()
    }


def apply_steps(
    url: str,
    s: Scenario,
    lc: FleetLifecycle,
    todo: list[Step],
    profiles,
    on_step: Callable[[int], None] | None = None,
) -> Applied:
    """Make every step in time order (completions are added as the OBL schedules them)."""
    result = Applied()
    tenants = tenant_specs(s, profiles)
    have_tenant: set[str] = set()
    heap = [(x.key, k, x) for k, x in enumerate(todo)]
    heapq.heapify(heap)
    extra = len(heap)
    while heap:
        key, _, first = heapq.heappop(heap)
        group = [first]
        while heap and heap[0][0][0] == key[0]:
            group.append(heapq.heappop(heap)[2])
        later: list[Step] = []
        added: set[str] = set()

        def work(ses, batches=_batches(group), later=later, added=added) -> None:
            later.clear()  # a retried transaction starts over
            added.clear()
            for batch in batches:
                _apply(ses, batch, result, tenants, have_tenant, added, later, lc, profiles)

        db.in_transaction(url, work)  # one transaction per simulated instant
        have_tenant.update(added)
        for nxt in later:
            heapq.heappush(heap, (nxt.key, extra, nxt))
            extra += 1
        result.steps += len(group)
        if on_step is not None:
            on_step(len(group))
    return result


def _batches(group: list[Step]) -> list[list[Step]]:
    """The steps of one instant, in order; consecutive orders, numbers or starts go as one bulk call."""
    out: list[list[Step]] = []
    for x in group:
        if out and x.kind in ("order", "numbers", "start") and out[-1][0].kind == x.kind:
            out[-1].append(x)
        else:
            out.append([x])
    return out


def _apply(
    ses, batch: list[Step], out: Applied, tenants, known, added, later: list[Step], lc, profiles
) -> None:
    kind, at = batch[0].kind, batch[0].at
    if kind == "ranges":
        fleet.declare_ranges(ses, batch[0].data["ranges"], at=at, actor=ACTOR)
    elif kind == "order":
        _order(ses, batch, at, tenants, known, added)
    elif kind == "numbers":
        requests = [(x.data["site"], x.data["count"], x.data["zone"]) for x in batch if x.data["count"] > 0]
        got = fleet.allocate_extensions(ses, requests, at=at, actor=ACTOR, strict=False)
        for e in got.exhausted:
            out.exhausted[e.site] = e.reason  # the install fails: an outcome, not a crash
    elif kind == "start":
        live = [x for x in batch if x.data["site"] not in out.exhausted]
        if live:
            fleet.start_service(ses, [x.data["site"] for x in live], live[0].data["day"], at=at, actor=ACTOR)
            fleet.add_accounts(ses, [a for x in live for a in _accounts(x.data["life"])], at=at, actor=ACTOR)
    elif kind == "expire":
        fleet.expire_ports(ses, at=at, actor=ACTOR)
        rec = out.ports.get(batch[0].data["site"])
        if rec is not None:
            rec.state = get_mandate(ses, rec.mandate).state
    elif kind == "move":
        _move(ses, batch[0], out)
    elif kind == "terminate":
        site = batch[0].data["site"]
        fleet.terminate_site(ses, site, at=at, actor=ACTOR)  # its open mandate is cancelled too
        out.terminated.append(site)
        rec = out.ports.get(site)
        if rec is not None:
            rec.state = get_mandate(ses, rec.mandate).state
    else:
        _port(ses, batch[0], out, later, lc, profiles)


def _move(ses, x: Step, out: Applied) -> None:
    """An ALLEO move (000 §3.5): the emergency addresses follow; new blocks unless the numbers are kept.
    A new zone without room refuses the move (an outcome, recorded), never the run."""
    d = x.data
    if d["site"] in out.exhausted:
        return  # never in service in the inventory: nothing to move
    try:
        with ses.begin_nested():  # the refused move leaves the rest of the instant's transaction
            fleet.move_site(
                ses,
                d["site"],
                address=d["address"],
                postcode=d["postcode"],
                city=d["city"],
                at=x.at,
                actor=ACTOR,
                new_numbers=d["new_numbers"],
                zone=d["zone"],
            )
    except fleet.NumbersExhausted as exc:
        out.move_exhausted[d["site"]] = exc.reason
        return
    out.moved[d["site"]] = d["new_numbers"]


def _order(ses, batch: list[Step], at: datetime, tenants, known: set[str], added: set[str]) -> None:
    orders = []
    for x in batch:
        d = x.data
        items = [
            fleet.EquipmentItem(k, serial, d["delivered"], d["lease_months"]) for k, serial in d["equipment"]
        ]
        orders.append(
            fleet.SiteOrder(
                d["site"], d["customer"], d["address"], d["postcode"], d["city"], d["profile"], items
            )
        )
    fleet.order_sites(ses, orders, at=at, actor=ACTOR)
    new = [tenants[o.customer] for o in orders if o.customer not in known and o.customer not in added]
    new = list({t.name: t for t in new}.values())
    if new:
        fleet.add_tenants(ses, new, at=at, actor=ACTOR)
        added.update(t.name for t in new)


def _accounts(life) -> list[fleet.AccountSpec]:
    """One SIP account per handset; the password is drawn, hashed to HA1 and forgotten (000 §8)."""
    domain = tenant_domain(life.customer)
    out = []
    for h in range(1, life.handsets + 1):
        user = f"{life.site}-{h:03d}"
        out.append(
            fleet.AccountSpec(life.customer, life.site, user, ha1(user, domain, secrets.token_urlsafe(16)))
        )
    return out


def _port(ses, x: Step, out: Applied, later: list[Step], lc: FleetLifecycle, profiles) -> None:
    plan: PortPlan = x.data["plan"]
    site, action, at = x.data["site"], x.data["action"], x.at
    if action == "create":
        fleet.load_obl_lines(ses, [fleet.OblRecord(**r) for r in plan.obl_records()])
        m = plan.mandate()
        mid = fleet.create_port(
            ses,
            fleet.PortRequest(site, m["holder"], m["address"], m["numbers"], m["expires"]),
            at=at,
            actor=ACTOR,
        )
        out.ports[site] = PortRecord(site, mid, plan.port.submitted_at)
        return
    rec = out.ports[site]
    if site in out.exhausted or rec.state in ("expired", "cancelled", "ported"):
        return  # never in service, or the mandate lapsed first: nothing left to do with it
    if action == "resubmit":
        if not plan.correction():
            fleet.load_obl_lines(ses, [fleet.OblRecord(**r) for r in plan.obl_records(fixed=True)])
        else:
            fleet.correct_port(ses, rec.mandate, at=at, actor=ACTOR, **plan.correction())
    if action in ("submit", "resubmit"):
        answer = fleet.submit_port(ses, rec.mandate, at=at, actor=ACTOR)
        rec.state = answer.state
        if answer.reason and rec.reason is None:
            rec.reason = answer.reason
        if answer.state == "accepted":
            # the earliest date the inventory allows: 1 jour ouvrable after acceptance, in the jours
            # ouvrables of the scenario's profile (its `jour_ouvrable` choice)
            mandate = get_mandate(ses, rec.mandate)
            profile = profiles.get(mandate.site.profile)
            day = earliest_port_date(mandate, profile)
            fleet.schedule_port(ses, rec.mandate, day, at=at, actor=ACTOR, profile=profile)
            rec.state, rec.port_date = "scheduled", day
            when = instant(day, PORT_AT)
            if when.date() < lc.end:
                later.append(Step(when, "port", x.seq, {**x.data, "action": "complete"}))
    elif action == "complete":
        fleet.complete_port(ses, rec.mandate, at=at, actor=ACTOR)
        rec.state = "ported"
