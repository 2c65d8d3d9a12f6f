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
    allocate_extensions(s, requests: Sequence[tuple[str, int]], *, at, actor, strict=True) -> BulkAllocation
        For each (site, n): exactly n SDA numbers (000 §1: one per extension) in size-aligned blocks by
        decimal decomposition (123 → 1×100 + 2×10 + 3×1), from the site's geographic zone, each block
        carrying the site's emergency address (004 §7). strict=True raises `NumbersExhausted` (nothing
        of that site written); strict=False leaves an exhausted site out and lists it in `.exhausted`.
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
    schedule_port(s, mandate_id, port_date, *, at, actor) -> None
    complete_port(s, mandate_id, *, at, actor) -> list[Allocation]
        The ported numbers join the donor's range of kind `ported` and become blocks of the site
        (contiguous runs, marked `ported`, exempt from size alignment) with its emergency address.
    expire_ports(s, *, at, actor) -> list[int]   mandates past their expiry date (000 §2.3)
    `provisioning.mandates.act(..., at=...)` also completes a port the same way (`centrex port complete`).

Moves and terminations
    move_site(s, site, *, address, postcode, city, at, actor, new_numbers=False, quarantine_days=90)
        -> list[Allocation]
        The address changes and every allocated block's emergency address follows in the same
        transaction; new_numbers=True also gives the site new blocks of the same sizes and sends the old
        (non-ported) ones to quarantine. State `moved`.
    terminate_site(s, site, *, at, actor, quarantine_days=90) -> None
        Blocks to quarantine, the site's accounts disabled, ALLOcloud limits recounted, state `terminated`.

Errors: `NumbersExhausted` (a `StateError`; `.site`, `.zone`, `.size`, `.reason == "numbers_exhausted"`);
`contracts.errors.InputError` for bad data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from contracts.errors import StateError

NUMBERS_EXHAUSTED = "numbers_exhausted"


class NumbersExhausted(StateError):
    """No aligned run of free numbers left for a site's block: an install outcome, not a crash."""

    reason = NUMBERS_EXHAUSTED

    def __init__(self, site: str, zone: str, size: int) -> None:
        super().__init__(f"site {site!r}: no free aligned block of {size} left in zone {zone}")
        self.site, self.zone, self.size = site, zone, size


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

    blocks: dict[str, list] = field(default_factory=dict)
    exhausted: list[NumbersExhausted] = field(default_factory=list)
