"""Customers, sites and equipment, and the `sites.csv` import.

`sites.csv` columns (header row required; extra columns are ignored):

    site           unique site name (required)
    customer       owning customer, created when new (required)
    address        street address (required) — carried by the site's number blocks (004 §7)
    postcode       5-digit French postcode (required) → département (Corsica 2A/2B, overseas 97x)
    city           town (required)
    profile        contract profile: alleo | allset | progetcom | allocloud (required)
    service_start  service-start date YYYY-MM-DD (optional; porting waits for it, 000 §2.3)

A site already in the inventory is updated (a new address becomes its blocks' emergency address in
the same transaction, 004 §7); the whole file is applied in one transaction or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from contracts.errors import InputError
from contracts.month import add_months
from contracts.profile import BUILTIN_PROFILES, load_profile
from contracts.tables import ColumnMap, open_table
from provisioning.choices import BlockState, EquipmentKind, SiteState
from provisioning.models import Customer, Equipment, NumberBlock, Site, postal_address
from provisioning.plan import departement_of

SITE_COLUMNS = ("site", "customer", "address", "postcode", "city", "profile", "service_start")
REQUIRED_SITE_COLUMNS = SITE_COLUMNS[:-1]


@dataclass(frozen=True)
class SiteRow:
    """One validated row of sites.csv (or the arguments of `add-site`)."""

    site: str
    customer: str
    address: str
    postcode: str
    city: str
    profile: str
    service_start: date | None = None


def parse_date(text: str, *, field: str, file: str | None = None, line: int | None = None) -> date:
    """Return the date of a YYYY-MM-DD text (InputError naming the field otherwise)."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{text!r} is not a date YYYY-MM-DD", file=file, line=line, field=field) from None


def parse_profile(
    text: str, *, field: str = "profile", file: str | None = None, line: int | None = None
) -> str:
    """Return the profile name `text` if it is one of the known contract profiles."""
    name = text.strip().lower()
    if name not in BUILTIN_PROFILES:
        known = ", ".join(BUILTIN_PROFILES)
        raise InputError(f"unknown profile {text!r} (one of {known})", file=file, line=line, field=field)
    return name


def get_or_create_customer(session: Session, name: str) -> Customer:
    """Return the customer called `name`, creating it when new."""
    customer = session.scalar(select(Customer).where(Customer.name == name))
    if customer is None:
        customer = Customer(name=name)
        session.add(customer)
        session.flush()
    return customer


def get_site(session: Session, name: str, *, field: str = "site") -> Site:
    """Return the site called `name` (InputError when unknown)."""
    site = session.scalar(select(Site).where(Site.name == name))
    if site is None:
        raise InputError(f"unknown site {name!r}", field=field)
    return site


def upsert_site(session: Session, row: SiteRow) -> Site:
    """Create or update a site from a validated row; return it."""
    departement = departement_of(row.postcode)
    customer = get_or_create_customer(session, row.customer)
    site = session.scalar(select(Site).where(Site.name == row.site))
    if site is None:
        site = Site(name=row.site)
        session.add(site)
    site.customer = customer
    site.address = row.address
    site.postcode = row.postcode
    site.city = row.city
    site.departement = departement
    site.profile = row.profile
    site.service_start = row.service_start
    if site.state is None:
        site.state = (SiteState.in_service if row.service_start else SiteState.ordered).value
    elif site.state == SiteState.ordered.value and row.service_start is not None:
        site.state = SiteState.in_service.value
    session.flush()
    follow_site_address(session, site)  # 004 §7, §14: same transaction as the address change
    return site


def follow_site_address(session: Session, site) -> int:
    """Give every allocated block of `site` its current address as emergency address (004 §7, §14).

    Called wherever a site's address changes, in that same transaction; returns the blocks updated.
    """
    result = session.execute(
        update(NumberBlock)
        .where(
            NumberBlock.site_id == site.id,
            NumberBlock.state == BlockState.allocated.value,
            NumberBlock.emergency_address != postal_address(site),
        )
        .values(emergency_address=postal_address(site))
    )
    return result.rowcount or 0


def read_sites_csv(path: Path, columns: ColumnMap | None = None) -> list[SiteRow]:
    """Validate every row of a sites.csv file (see the module docstring for its columns)."""
    file = str(path)
    rows: list[SiteRow] = []
    seen: dict[str, int] = {}
    with open_table(
        path, REQUIRED_SITE_COLUMNS, optional=SITE_COLUMNS[-1:], name="sites", columns=columns
    ) as table:
        for lineno, cells in table.rows(SITE_COLUMNS):
            for column in REQUIRED_SITE_COLUMNS:
                if not cells.get(column):
                    raise InputError("empty value", file=file, line=lineno, field=column)
            name = cells["site"]
            if name in seen:
                raise InputError(
                    f"site {name!r} already on line {seen[name]}", file=file, line=lineno, field="site"
                )
            seen[name] = lineno
            try:
                departement_of(cells["postcode"])
            except InputError as exc:
                raise InputError(exc.reason, file=file, line=lineno, field="postcode") from None
            start = cells.get("service_start") or ""
            rows.append(
                SiteRow(
                    site=name,
                    customer=cells["customer"],
                    address=cells["address"],
                    postcode=cells["postcode"],
                    city=cells["city"],
                    profile=parse_profile(cells["profile"], file=file, line=lineno),
                    service_start=parse_date(start, field="service_start", file=file, line=lineno)
                    if start
                    else None,
                )
            )
    return rows


def import_sites(session: Session, path: Path, columns: ColumnMap | None = None) -> list[Site]:
    """Import (create or update) every site of a sites.csv file; return them in file order."""
    return [upsert_site(session, row) for row in read_sites_csv(path, columns)]


def list_sites(session: Session) -> list[Site]:
    """Return every site, by name."""
    return list(session.scalars(select(Site).order_by(Site.name)))


def warranty_end(profile: str, delivered: date, lease_months: int | None = None) -> date:
    """Return the end of the warranty of equipment delivered on `delivered` (CONTRACTS §11)."""
    return add_months(delivered, load_profile(profile).warranty_length(lease_months))


def add_equipment(
    session: Session, site: str, kind: str, serial: str, delivered: date, lease_months: int | None = None
) -> Equipment:
    """Record equipment delivered to a site, with its warranty end per the site's profile."""
    owner = get_site(session, site)
    if kind not in {k.value for k in EquipmentKind}:
        raise InputError(f"unknown equipment kind {kind!r}", field="kind")
    if not serial.strip():
        raise InputError("serial is empty", field="serial")
    if session.scalar(select(Equipment).where(Equipment.serial == serial)) is not None:
        raise InputError(f"serial {serial!r} already recorded", field="serial")
    if lease_months is not None and lease_months <= 0:
        raise InputError("lease length must be > 0 months", field="lease_months")
    item = Equipment(
        site=owner,
        kind=kind,
        serial=serial.strip(),
        delivery_date=delivered,
        warranty_end=warranty_end(owner.profile, delivered, lease_months),
    )
    session.add(item)
    session.flush()
    return item


def list_equipment(session: Session, site: str | None = None) -> list[Equipment]:
    """Return the equipment (of one site, or all), by site then serial."""
    query = select(Equipment).join(Site)
    if site is not None:
        query = query.where(Site.id == get_site(session, site).id)
    return list(session.scalars(query.order_by(Site.name, Equipment.serial)))
