"""TEMPORARY stand-in for `provisioning.fleet` (branch fleetinv15) until it lands on main: the same
signatures over the existing provisioning functions. Deleted when `provisioning.fleet` is merged."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select

from contracts.errors import StateError
from contracts.sizing import load_channel_contract, pbx_channel_limit
from provisioning import accounts, mandates, numbers, obl
from provisioning.inventory import SiteRow, add_equipment, get_site, upsert_site
from provisioning.models import OblLine, SipAccount, Tenant

NUMBERS_EXHAUSTED = "numbers_exhausted"


class NumbersExhausted(StateError):
    reason = NUMBERS_EXHAUSTED

    def __init__(self, site: str, zone: str, size: int) -> None:
        super().__init__(f"site {site!r}: no free aligned block of {size} left in zone {zone}")
        self.site, self.zone, self.size = site, zone, size


@dataclass(frozen=True)
class EquipmentItem:
    kind: str
    serial: str
    delivered: date
    lease_months: int | None = None


@dataclass(frozen=True)
class SiteOrder:
    site: str
    customer: str
    address: str
    postcode: str
    city: str
    profile: str
    equipment: Sequence[EquipmentItem] = ()


@dataclass(frozen=True)
class TenantSpec:
    name: str
    domain: str
    customer: str
    profile: str
    contract_channels: int | None = None


@dataclass(frozen=True)
class AccountSpec:
    tenant: str
    site: str
    username: str
    ha1: str


@dataclass(frozen=True)
class OblRecord:
    e164: int
    ndi: int
    holder: str
    address: str
    line_type: str = "permanent"
    access_available: bool = True


@dataclass(frozen=True)
class PortRequest:
    site: str
    holder: str
    address: str
    numbers: Sequence[int]
    expires: date
    rio: str | None = None


@dataclass(frozen=True)
class MandateOutcome:
    id: int
    state: str
    reason: str | None


@dataclass
class BulkAllocation:
    blocks: dict[str, list] = field(default_factory=dict)
    exhausted: list[NumbersExhausted] = field(default_factory=list)


def declare_ranges(s, ranges, *, at: datetime, actor: str) -> int:
    for start, size in ranges:
        numbers.add_range(s, start, size, actor)
    return len(ranges)


def order_sites(s, orders, *, at, actor) -> dict[str, int]:
    out = {}
    for o in orders:
        site = upsert_site(s, SiteRow(o.site, o.customer, o.address, o.postcode, o.city, o.profile))
        for e in o.equipment:
            add_equipment(s, o.site, e.kind, e.serial, e.delivered, e.lease_months)
        out[o.site] = site.id
    return out


_PROFILE: dict[str, str] = {}


def add_tenants(s, tenants, *, at, actor) -> dict[str, int]:
    out = {}
    for t in tenants:
        _PROFILE[t.name] = t.profile
        out[t.name] = accounts.add_tenant(s, t.name, t.domain, t.contract_channels or 0, t.customer).id
    return out


def start_service(s, sites, day, *, at, actor) -> None:
    for name in sites:
        get_site(s, name).service_start = day
    s.flush()


def _sizes(n: int) -> list[int]:
    out = []
    for size in (1000, 100, 10, 1):
        out += [size] * (n // size)
        n %= size
    return out


def allocate_extensions(s, requests, *, at, actor, strict=True) -> BulkAllocation:
    result = BulkAllocation()
    for site, n in requests:
        nested = s.begin_nested()
        try:
            result.blocks[site] = [
                numbers.allocate_block(s, site, size, actor=actor, today=at.date()) for size in _sizes(n)
            ]
            nested.commit()
        except StateError:
            nested.rollback()
            result.exhausted.append(NumbersExhausted(site, "?", n))
    return result


def add_accounts(s, specs, *, at, actor) -> int:
    touched = set()
    for a in specs:
        tenant = accounts.get_tenant(s, a.tenant)
        s.add(SipAccount(tenant=tenant, username=a.username, ha1=a.ha1))
        touched.add(tenant.name)
    s.flush()
    for name in touched:
        if _PROFILE.get(name) == "allocloud":
            tenant = s.scalar(select(Tenant).where(Tenant.name == name))
            users = len(tenant.accounts)
            tenant.channel_limit = pbx_channel_limit(users, load_channel_contract("allocloud"))
    s.flush()
    return len(specs)


def load_obl_lines(s, lines) -> int:
    for r in lines:
        s.merge(OblLine(**r.__dict__))
    s.flush()
    return len(lines)


def create_port(s, req, *, at, actor) -> int:
    return mandates.create_mandate(
        s,
        site=req.site,
        holder=req.holder,
        address=req.address,
        numbers=list(req.numbers),
        expires=req.expires,
        actor=actor,
        today=at.date(),
    ).id


def submit_port(s, mandate_id, *, at, actor) -> MandateOutcome:
    mandates.act(s, mandate_id, "submit", actor=actor, today=at.date())
    m = obl.answer(s, mandate_id, today=at.date())
    return MandateOutcome(m.id, m.state, m.reason)


def correct_port(s, mandate_id, *, at, actor, holder=None, address=None, numbers=None) -> None:
    mandates.correct_mandate(
        s, mandate_id, holder=holder, address=address, numbers=numbers, actor=actor, today=at.date()
    )


def schedule_port(s, mandate_id, port_date, *, at, actor) -> None:
    mandates.act(s, mandate_id, "schedule", actor=actor, port_date=port_date, today=at.date())


def complete_port(s, mandate_id, *, at, actor) -> list:
    mandates.act(s, mandate_id, "complete", actor=actor, today=at.date())
    return []


def expire_ports(s, *, at, actor) -> list[int]:
    return [m.id for m in mandates.expire_due(s, today=at.date(), actor=actor)]
