"""Provision a whole fleet at once: the bulk path `centrex run` drives, one transaction per site or batch.

Every function takes an ORM `Session` already inside a transaction (`db.session_scope(url)` or
`db.in_transaction(url, fn)`; nothing here commits), an explicit tz-aware instant `at` and an `actor`
(the simulation passes its simulated instant and "sim"): the audit trail (block `allocated_at/by`,
mandate events, overrides) shows them, and the Paris date of `at` is the "today" of every rule.

Orders and sites
    order_sites(s, orders: Sequence[SiteOrder], *, at, actor) -> dict[str, int]   (site name → id)
        Customers (created when new), sites in state `ordered`, equipment with serials and warranty end
        from the site's profile (000 §2.6, §2.7 lease months).
    start_service(s, sites: Sequence[str], day: date, *, at, actor) -> None
        service_start = day, state `in_service` (porting may complete only after it, 000 §2.3).

Numbers
    declare_ranges(s, ranges: Sequence[tuple[str, int]], *, at, actor) -> int
        Load each operator range (first number, size) not yet loaded; return how many were new.
    allocate_extensions(s, requests: Sequence[(site, n) | (site, n, zone)], *, at, actor, strict=True)
        -> BulkAllocation
        For each (site, n[, zone]): exactly n SDA numbers (000 §1: one per extension) in size-aligned
        blocks by decimal decomposition (123 → 1×100 + 2×10 + 3×1), from the site's geographic zone (or
        09), each block carrying the site's emergency address (004 §7). strict=True raises
        `NumbersExhausted` (nothing of that site written); strict=False leaves an exhausted site out and
        lists it in `.exhausted`.
        A site that ports K numbers asks only for n - K here (000 §2.2 « affectation ou portabilité »).

Accounts and tenants (004 §11.d « compte »)
    add_tenants(s, tenants: Sequence[TenantSpec], *, at, actor) -> dict[str, int]   (tenant name → id)
        TenantSpec(name, domain, customer, profile, contract_channels=None). The channel limit is the
        contract's: ALLOcloud from its enabled accounts (the users counted) through
        `contracts.sizing.pbx_channel_limit`, kept up to date by add_accounts/terminate_site; other
        profiles `contract_channels` (None → 0, "no channels contracted").
    add_accounts(s, accounts: Sequence[AccountSpec], *, at, actor) -> int
        AccountSpec(tenant, site, username, ha1): HA1 only (use `provisioning.accounts.ha1`), enabled.

Porting (000 §2.3; through `provisioning.mandates`' state machine, `provisioning.obl` decides)
    load_obl_lines(s, lines: Sequence[OblRecord]) -> int   the simulated OBL's own records
    create_port(s, PortRequest, *, at, actor) -> int   (mandate id, draft)
    submit_port(s, mandate_id, *, at, actor) -> MandateOutcome    submit, then the OBL answers
    correct_port(s, mandate_id, *, at, actor, holder=None, address=None, numbers=None) -> None
    schedule_port(s, mandate_id, port_date, *, at, actor, profile=None) -> None
        `profile` (with the caller's choices) gives the « jour ouvrable » of the ARCEP delay.
    complete_port(s, mandate_id, *, at, actor) -> list[Allocation]
        The ported numbers join the donor's range of kind `ported` and become blocks of the site
        (contiguous runs, marked `ported`, exempt from size alignment) with its emergency address.
    expire_ports(s, *, at, actor) -> list[int]   mandates past their expiry date (000 §2.3)
    `provisioning.mandates.act(..., at=...)` also completes a port the same way (`centrex port complete`).

Moves and terminations
    move_site(s, site, *, address, postcode, city, at, actor, new_numbers=False, quarantine_days=90,
              zone=None) -> list[Allocation]
        The address changes and every allocated block's emergency address follows in the same
        transaction; new_numbers=True also gives the site new blocks of the same sizes (from `zone`,
        default the new address's) and sends the old (non-ported) ones to quarantine. State `moved`.
    terminate_site(s, site, *, at, actor, quarantine_days=90) -> None
        Blocks to quarantine, the site's accounts disabled, ALLOcloud limits recounted, open mandates
        cancelled, state `terminated`.

Errors: `NumbersExhausted` (a `StateError`; `.site`, `.zone`, `.size`, `.reason == "numbers_exhausted"`);
`contracts.errors.InputError` for bad data.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from contracts.errors import InputError, StateError
from contracts.profile import Profile
from provisioning import mandates, obl
from provisioning.accounts import SIP_DOMAIN, SIP_USERNAME, contract_allowance
from provisioning.choices import (
    DEFAULT_QUARANTINE_DAYS,
    BlockState,
    EquipmentKind,
    LineType,
    RangeKind,
    SiteState,
)
from provisioning.clock import paris_day
from provisioning.inventory import (
    SiteRow,
    get_site,
    parse_profile,
    upsert_site,
    warranty_end,
)
from provisioning.models import (
    Customer,
    Equipment,
    Mandate,
    NumberBlock,
    NumberRange,
    OblLine,
    SipAccount,
    Site,
    Tenant,
)
from provisioning.numbers import (
    Allocation,
    NumbersExhausted,
    add_range,
    allocate_bulk,
    driver,
    release_held,
)
from provisioning.plan import departement_of, parse_number


@dataclass(frozen=True)
class EquipmentItem:
    """One piece of equipment delivered to a site."""

    kind: str
    serial: str
    delivered: date
    lease_months: int | None = None  # ALLEO leases only (000 §2.7)


@dataclass(frozen=True)
class SiteOrder:
    """A site ordered by a customer, with its address (the postcode gives the département and zone)."""

    site: str
    customer: str
    address: str
    postcode: str
    city: str
    profile: str
    equipment: Sequence[EquipmentItem] = ()


@dataclass(frozen=True)
class TenantSpec:
    """One tenant per customer account (004 §11.d « compte »): a SIP domain with the contract's limit."""

    name: str
    domain: str
    customer: str
    profile: str
    contract_channels: int | None = None  # the non-ALLOcloud profiles' contracted channels


@dataclass(frozen=True)
class AccountSpec:
    """One SIP account per handset: HA1 only, never the password (000 §8)."""

    tenant: str
    site: str
    username: str
    ha1: str


@dataclass(frozen=True)
class OblRecord:
    """The simulated OBL's record of one line (what a mandate is checked against)."""

    e164: int
    ndi: int
    holder: str
    address: str
    line_type: str = "permanent"
    access_available: bool = True


@dataclass(frozen=True)
class PortRequest:
    """A signed mandate: the numbers to port to `site` and the data as the customer wrote them."""

    site: str
    holder: str
    address: str
    numbers: Sequence[int]
    expires: date
    rio: str | None = None


@dataclass(frozen=True)
class MandateOutcome:
    """Where a mandate stands after the OBL's answer: its state and, when rejected, the reason."""

    id: int
    state: str
    reason: str | None


@dataclass
class BulkAllocation:
    """The blocks given per site, and the sites left out because their zone is exhausted."""

    blocks: dict[str, list[Allocation]] = field(default_factory=dict)
    exhausted: list[NumbersExhausted] = field(default_factory=list)


_HA1 = re.compile(r"[0-9a-f]{32}")  # md5 hex, as `accounts.ha1` writes it


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None:
        raise InputError("the instant of a change must be tz-aware", field="at")
    return at


def _set_state(site: Site, state: SiteState, at: datetime, actor: str) -> None:
    site.state, site.state_at, site.state_by = state.value, at, actor


def order_sites(s: Session, orders: Sequence[SiteOrder], *, at: datetime, actor: str) -> dict[str, int]:
    """Create the customers, the sites (state `ordered`) and their equipment; return site name → id.

    Equipment warranty runs from delivery for the site profile's months (000 §2.6, 001 §3, 002 §3,
    004 §8), or for the lease length of leased ALLEO equipment (000 §2.7).
    """
    at = _aware(at)
    names = [o.site for o in orders]
    if len(set(names)) != len(names) or s.scalar(select(func.count()).where(Site.name.in_(names))):
        clash = next(
            n for n in names if names.count(n) > 1 or s.scalar(select(Site.id).where(Site.name == n))
        )
        raise InputError(f"site {clash!r} already exists", field="site")
    serials = [e.serial for o in orders for e in o.equipment]
    if len(set(serials)) != len(serials) or s.scalar(
        select(func.count()).where(Equipment.serial.in_(serials))
    ):
        raise InputError("an equipment serial is already recorded or given twice", field="serial")
    wanted = list(dict.fromkeys(o.customer for o in orders))
    customers = dict(s.execute(select(Customer.name, Customer.id).where(Customer.name.in_(wanted))).all())
    new = [{"name": name, "created_at": at} for name in wanted if name not in customers]
    if new:
        s.execute(insert(Customer), new)
        customers = dict(s.execute(select(Customer.name, Customer.id).where(Customer.name.in_(wanted))).all())
    kinds = {k.value for k in EquipmentKind}
    rows = []
    for o in orders:
        rows.append(
            {
                "name": o.site,
                "customer_id": customers[o.customer],
                "address": o.address,
                "postcode": o.postcode,
                "city": o.city,
                "departement": departement_of(o.postcode),
                "profile": parse_profile(o.profile),
                "state": SiteState.ordered.value,
                "state_at": at,
                "state_by": actor,
                "created_at": at,
            }
        )
        if any(e.kind not in kinds for e in o.equipment):
            raise InputError(f"unknown equipment kind in {[e.kind for e in o.equipment]}", field="kind")
    if rows:
        s.execute(insert(Site), rows)
    ids = dict(s.execute(select(Site.name, Site.id).where(Site.name.in_(names))).all())
    items = [
        {
            "site_id": ids[o.site],
            "kind": e.kind,
            "serial": e.serial,
            "delivery_date": e.delivered,
            "warranty_end": warranty_end(row["profile"], e.delivered, e.lease_months),
        }
        for o, row in zip(orders, rows, strict=True)
        for e in o.equipment
    ]
    if items:
        s.execute(insert(Equipment), items)
    return ids


def start_service(s: Session, sites: Sequence[str], day: date, *, at: datetime, actor: str) -> None:
    """Record the service start of sites (porting completes only after it, 000 §2.3): `in_service`."""
    at = _aware(at)
    found = {site.name: site for site in s.scalars(select(Site).where(Site.name.in_(list(sites))))}
    for name in sites:
        site = found.get(name) or get_site(s, name)
        if site.state == SiteState.terminated.value:
            raise StateError(f"site {name!r} is terminated")
        site.service_start = day
        _set_state(site, SiteState.in_service, at, actor)
    s.flush()


def declare_ranges(s: Session, ranges: Sequence[tuple[str, int]], *, at: datetime, actor: str) -> int:
    """Load each operator range (first number, size) not loaded yet; return how many were new."""
    have = {
        (r.start, r.size)
        for r in s.scalars(select(NumberRange).where(NumberRange.kind == RangeKind.operator.value))
    }
    new = 0
    for start, size in ranges:
        if (parse_number(start, field="start"), size) not in have:
            add_range(s, start, size, actor, at=_aware(at))
            new += 1
    return new


def allocate_extensions(
    s: Session,
    requests: Sequence[tuple[str, int]] | Sequence[tuple[str, int, str | None]],
    *,
    at: datetime,
    actor: str,
    strict: bool = True,
) -> BulkAllocation:
    """Give each (site, n[, zone]) exactly n SDA numbers in aligned blocks carrying its emergency address.

    `zone` defaults to the site's geographic zone; 09 (non-geographic) or the site's own may be asked.
    000 §1: one SDA per extension; 004 §7: every block carries the site's address. See the module
    docstring for how exhaustion is reported.
    """
    blocks, exhausted = allocate_bulk(s, list(requests), actor=actor, at=_aware(at), strict=strict)
    return BulkAllocation(blocks, exhausted)


def add_tenants(s: Session, tenants: Sequence[TenantSpec], *, at: datetime, actor: str) -> dict[str, int]:
    """Create one tenant per customer account with its contract's channel limit; return name → id."""
    _aware(at)
    customers = dict(
        s.execute(
            select(Customer.name, Customer.id).where(Customer.name.in_({t.customer for t in tenants}))
        ).all()
    )
    rows = []
    for t in tenants:
        if not SIP_DOMAIN.match(t.domain):
            raise InputError(f"{t.domain!r} is not a valid SIP domain", field="domain")
        if t.customer not in customers:
            raise InputError(f"unknown customer {t.customer!r}", field="customer")
        if t.contract_channels is not None and t.contract_channels < 0:
            raise InputError(f"contracted channels must be ≥ 0, got {t.contract_channels}", field="channels")
        profile = parse_profile(t.profile)
        rows.append(
            {
                "name": t.name,
                "domain": t.domain.lower(),
                "customer_id": customers[t.customer],
                "profile": profile,
                "contract_channels": t.contract_channels,
                "channel_limit": contract_allowance(profile, 0, t.contract_channels),
            }
        )
    if rows:
        s.execute(insert(Tenant), rows)
    names = [t.name for t in tenants]
    return dict(s.execute(select(Tenant.name, Tenant.id).where(Tenant.name.in_(names))).all())


def recount_channel_limits(s: Session, tenant_ids: Sequence[int]) -> None:
    """Set each contract-based tenant's limit to its contract's allowance for its enabled accounts."""
    ids = sorted(set(tenant_ids))
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        counts = dict(
            s.execute(
                select(SipAccount.tenant_id, func.count())
                .where(SipAccount.tenant_id.in_(chunk), SipAccount.enabled)
                .group_by(SipAccount.tenant_id)
            ).all()
        )
        changes = []
        query = select(Tenant.id, Tenant.profile, Tenant.contract_channels, Tenant.channel_limit).where(
            Tenant.id.in_(chunk), Tenant.override_at.is_(None), Tenant.profile.is_not(None)
        )
        for tid, profile, contracted, limit in s.execute(query):
            expected = contract_allowance(profile, counts.get(tid, 0), contracted)
            if expected != limit:
                changes.append({"id": tid, "channel_limit": expected})
        if changes:
            s.execute(update(Tenant), changes)


_INSERT_ACCOUNT_SQLITE = (
    "INSERT INTO sip_account (tenant_id, site_id, username, ha1, enabled) VALUES (?, ?, ?, ?, ?)"
)
_INSERT_ACCOUNT_PG = (
    "INSERT INTO sip_account (tenant_id, site_id, username, ha1, enabled) VALUES (%s, %s, %s, %s, %s)"
)


def add_accounts(s: Session, accounts: Sequence[AccountSpec], *, at: datetime, actor: str) -> int:
    """Create enabled SIP accounts, HA1 only (000 §8), each on its site; recount the tenants' limits."""
    _aware(at)
    tenants = dict(
        s.execute(select(Tenant.name, Tenant.id).where(Tenant.name.in_({a.tenant for a in accounts}))).all()
    )
    sites = dict(s.execute(select(Site.name, Site.id).where(Site.name.in_({a.site for a in accounts}))).all())
    rows = []
    for a in accounts:
        if a.tenant not in tenants:
            raise InputError(f"unknown tenant {a.tenant!r}", field="tenant")
        if a.site not in sites:
            raise InputError(f"unknown site {a.site!r}", field="site")
        if not SIP_USERNAME.match(a.username):
            raise InputError(f"{a.username!r} is not a valid SIP username", field="username")
        if not _HA1.fullmatch(a.ha1):
            raise InputError("ha1 must be 32 lowercase hex digits (md5)", field="ha1")
        rows.append(
            {
                "tenant_id": tenants[a.tenant],
                "site_id": sites[a.site],
                "username": a.username,
                "ha1": a.ha1,
                "enabled": True,
            }
        )
    if rows:  # through the driver: a fleet's accounts are counted in hundreds of thousands
        d = driver(s)
        d.dbapi.cursor().executemany(
            _INSERT_ACCOUNT_SQLITE if d.dialect == "sqlite" else _INSERT_ACCOUNT_PG,
            [(r["tenant_id"], r["site_id"], r["username"], r["ha1"], True) for r in rows],
        )
        recount_channel_limits(s, [r["tenant_id"] for r in rows])
    return len(rows)


def load_obl_lines(s: Session, lines: Sequence[OblRecord]) -> int:
    """Record the simulated OBL's own lines (what submitted mandates are checked against)."""
    types = {t.value for t in LineType}
    for line in lines:
        if line.line_type not in types:
            raise InputError(
                f"line_type must be permanent or temporary, got {line.line_type!r}", field="line_type"
            )
        s.merge(
            OblLine(
                e164=line.e164,
                ndi=line.ndi,
                holder=line.holder,
                address=line.address,
                line_type=line.line_type,
                access_available=line.access_available,
            )
        )
    s.flush()
    return len(lines)


def create_port(s: Session, request: PortRequest, *, at: datetime, actor: str) -> int:
    """Record a signed mandate (draft) through the state machine; return its id."""
    m = mandates.create_mandate(
        s,
        site=request.site,
        holder=request.holder,
        address=request.address,
        numbers=list(request.numbers),
        expires=request.expires,
        rio=request.rio,
        actor=actor,
        at=_aware(at),
    )
    return m.id


def _outcome(m) -> MandateOutcome:
    return MandateOutcome(m.id, m.state, m.reason)


def submit_port(s: Session, mandate_id: int, *, at: datetime, actor: str) -> MandateOutcome:
    """Submit a mandate, then let the simulated OBL decide from its own records (000 §2.3)."""
    mandates.act(s, mandate_id, "submit", actor=actor, at=_aware(at))
    return _outcome(obl.answer(s, mandate_id, at=at))


def correct_port(
    s: Session,
    mandate_id: int,
    *,
    at: datetime,
    actor: str,
    holder: str | None = None,
    address: str | None = None,
    numbers: Sequence[int] | None = None,
) -> None:
    """Fix a rejected or postponed mandate before resubmitting it (000 §2.3)."""
    mandates.correct_mandate(
        s,
        mandate_id,
        holder=holder,
        address=address,
        numbers=None if numbers is None else list(numbers),
        actor=actor,
        at=_aware(at),
    )


def schedule_port(
    s: Session, mandate_id: int, port_date: date, *, at: datetime, actor: str, profile: Profile | None = None
) -> None:
    """Schedule an accepted mandate's port date (after service start, 000 §2.3; ARCEP delay, counted in
    the « jours ouvrables » of `profile`, default the site's profile as shipped)."""
    mandates.act(s, mandate_id, "schedule", actor=actor, port_date=port_date, at=_aware(at), profile=profile)


def complete_port(s: Session, mandate_id: int, *, at: datetime, actor: str) -> list[Allocation]:
    """Complete a scheduled port: its numbers become ported blocks of the site (see `numbers.port_in`)."""
    mandates.act(s, mandate_id, "complete", actor=actor, at=_aware(at))
    rows = s.scalars(
        select(NumberBlock)
        .join(Site)
        .where(NumberBlock.ported, NumberBlock.state == BlockState.allocated.value)
        .where(NumberBlock.start.in_([n.e164 for n in mandates.get_mandate(s, mandate_id).numbers]))
        .order_by(NumberBlock.start)
    )
    return [
        Allocation(b.id, b.site.name, b.start, b.size, b.zone, b.purpose, b.emergency_address, True)
        for b in rows
    ]


def expire_ports(s: Session, *, at: datetime, actor: str) -> list[int]:
    """Expire every open mandate past its expiry date (000 §2.3); return their ids."""
    return [m.id for m in mandates.expire_due(s, actor=actor, at=_aware(at))]


def move_site(
    s: Session,
    site: str,
    *,
    address: str,
    postcode: str,
    city: str,
    at: datetime,
    actor: str,
    new_numbers: bool = False,
    quarantine_days: int = DEFAULT_QUARANTINE_DAYS,
    zone: str | None = None,
) -> list[Allocation]:
    """Move a site: its blocks' emergency addresses follow in this transaction (004 §7, §14).

    With `new_numbers`, the site gets new blocks of the same sizes (in its new zone, or `zone`: 09 for
    a site on non-geographic numbers) and the old non-ported ones go to quarantine; returns the new
    blocks.
    """
    at = _aware(at)
    owner = get_site(s, site)
    if owner.state == SiteState.terminated.value:
        raise StateError(f"site {site!r} is terminated: it cannot move")
    for text, name in ((address, "address"), (city, "city")):
        if not text.strip():
            raise InputError("empty value", field=name)
    row = SiteRow(
        owner.name,
        owner.customer.name,
        address.strip(),
        postcode.strip(),
        city.strip(),
        owner.profile,
        owner.service_start,
    )
    old: list[NumberBlock] = []
    if new_numbers:  # released first: the old blocks keep the address they served
        old = list(
            s.scalars(
                select(NumberBlock).where(
                    NumberBlock.site_id == owner.id,
                    NumberBlock.state == BlockState.allocated.value,
                    NumberBlock.ported.is_(False),
                )
            )
        )
        day = paris_day(at)
        for block in old:
            release_held(s, block, actor=actor, quarantine_days=quarantine_days, day=day, at=at)
        s.flush()
    upsert_site(s, row)  # the address, then every allocated block's emergency address
    _set_state(owner, SiteState.moved, at, actor)
    out: list[Allocation] = []
    if old:  # an exhausted zone raises NumbersExhausted: the whole move is rolled back
        blocks, _ = allocate_bulk(s, [(owner.name, sum(b.size for b in old), zone)], actor=actor, at=at)
        out = blocks.get(owner.name, [])
    s.flush()
    return out


def terminate_site(
    s: Session, site: str, *, at: datetime, actor: str, quarantine_days: int = DEFAULT_QUARANTINE_DAYS
) -> None:
    """Terminate a site: its blocks go to quarantine (ported ones back to their donor), its accounts
    are disabled, the ALLOcloud limits recounted (004 §11.d), and its open mandates cancelled (a site
    out of service has no line to port numbers to)."""
    at = _aware(at)
    owner = get_site(s, site)
    if owner.state == SiteState.terminated.value:
        raise StateError(f"site {site!r} is already terminated")
    day = paris_day(at)
    open_mandates = select(Mandate.id).where(
        Mandate.site_id == owner.id, Mandate.state.in_([m.value for m in mandates.OPEN_STATES])
    )
    for mid in list(s.scalars(open_mandates.order_by(Mandate.id))):
        mandates.act(s, mid, "cancel", actor=actor, note=f"site {site} terminated", at=at)
    held = select(NumberBlock).where(
        NumberBlock.site_id == owner.id, NumberBlock.state == BlockState.allocated.value
    )
    for block in s.scalars(held):
        release_held(s, block, actor=actor, quarantine_days=quarantine_days, day=day, at=at)
    tenants = list(s.scalars(select(SipAccount.tenant_id).where(SipAccount.site_id == owner.id).distinct()))
    s.execute(update(SipAccount).where(SipAccount.site_id == owner.id).values(enabled=False))
    _set_state(owner, SiteState.terminated, at, actor)
    s.flush()
    recount_channel_limits(s, tenants)
