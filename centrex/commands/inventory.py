"""`centrex inventory` commands: sites (CSV import), equipment, tenants and SIP accounts."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from centrex.commands.db import BY_OPTION, DB_OPTION, FORMAT_OPTION, TODAY_OPTION, actor, parse_day
from centrex.commands.pbx import RELOAD_OPTION, announce_reload
from centrex.options import COLUMNS, column_map
from centrex.output import Format, emit, info
from contracts.errors import InputError
from provisioning.choices import DEFAULT_QUARANTINE_DAYS, EquipmentKind

app = typer.Typer(
    help="Inventory: sites, equipment, tenants and SIP accounts.\n\n"
    "Example: centrex inventory import sites.csv",
    no_args_is_help=True,
)


@app.command("import")
def import_(
    sites_csv: Path = typer.Argument(
        ..., help="CSV: site,customer,address,postcode,city,profile[,service_start]."
    ),
    db_url: str | None = DB_OPTION,
    fmt: Format = FORMAT_OPTION,
    columns: str = COLUMNS,
) -> None:
    """Import sites (created or updated; all rows or none).

    Columns: site, customer, address, postcode, city, profile (alleo|allset|progetcom|allocloud),
    service_start (YYYY-MM-DD, optional).  Example: centrex inventory import sites.csv
    """
    from provisioning import db, inventory
    from provisioning.export import SITE_COLUMNS, site_row

    cm = column_map(columns)
    with db.session_scope(db_url) as session:
        rows = [site_row(s) for s in inventory.import_sites(session, sites_csv, cm)]
        cm.check_used()
    info(f"{len(rows)} site(s) imported")
    emit(rows, fmt, columns=SITE_COLUMNS, title="sites")


@app.command("sites")
def sites(db_url: str | None = DB_OPTION, fmt: Format = FORMAT_OPTION) -> None:
    """List the sites.

    Example: centrex inventory sites --format csv
    """
    from provisioning import db, inventory
    from provisioning.export import SITE_COLUMNS, site_row

    with db.session_scope(db_url) as session:
        rows = [site_row(s) for s in inventory.list_sites(session)]
    emit(rows, fmt, columns=SITE_COLUMNS, title="sites")


def _instant(today: str | None):
    """The instant of a change: now, or noon in Paris of the day --today names."""
    from datetime import UTC, datetime, time

    from provisioning.clock import PARIS

    day = parse_day(today)
    return datetime.now(UTC) if day is None else datetime.combine(day, time(12), PARIS)


@app.command("move")
def move(
    site: str = typer.Argument(..., help="Site that moves."),
    address: str = typer.Option(..., "--address", help="New street address."),
    postcode: str = typer.Option(..., "--postcode", help="New 5-digit postcode."),
    city: str = typer.Option(..., "--city", help="New town."),
    new_numbers: bool = typer.Option(
        False, "--new-numbers", help="Give new blocks of the same sizes; the old ones go to quarantine."
    ),
    db_url: str | None = DB_OPTION,
    by: str | None = BY_OPTION,
    today: str | None = TODAY_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Move a site: its blocks' emergency addresses follow in the same transaction (004 §7, §14).

    Example: centrex inventory move paris-hq --address "40 rue du Louvre" --postcode 75001 --city Paris
    """
    from provisioning import db, fleet, inventory
    from provisioning.export import SITE_STATE_COLUMNS, site_row

    with db.session_scope(db_url) as session:
        fleet.move_site(
            session,
            site,
            address=address,
            postcode=postcode,
            city=city,
            at=_instant(today),
            actor=actor(by),
            new_numbers=new_numbers,
        )
        row = site_row(inventory.get_site(session, site))
    emit(row, fmt, columns=SITE_STATE_COLUMNS)


@app.command("terminate")
def terminate(
    site: str = typer.Argument(..., help="Site whose service ends."),
    quarantine_days: int = typer.Option(
        DEFAULT_QUARANTINE_DAYS, "--quarantine-days", help="Days before its numbers are free again."
    ),
    db_url: str | None = DB_OPTION,
    by: str | None = BY_OPTION,
    today: str | None = TODAY_OPTION,
    run_dir: list[Path] | None = RELOAD_OPTION,
) -> None:
    """Terminate a site: its blocks go to quarantine (ported numbers back to their donor), its SIP
    accounts are disabled — and no longer served by any running PBX started from this database.

    Example: centrex inventory terminate lyon --quarantine-days 90
    """
    from datetime import UTC, datetime

    from provisioning import db, fleet

    with db.session_scope(db_url) as session:
        fleet.terminate_site(
            session, site, at=datetime.now(UTC), actor=actor(by), quarantine_days=quarantine_days
        )
    info(f"site {site} terminated")
    announce_reload(db_url, run_dir)


@app.command("add-equipment")
def add_equipment(
    site: str = typer.Option(..., "--site"),
    kind: EquipmentKind = typer.Option(..., "--kind"),
    serial: str = typer.Option(..., "--serial"),
    delivered: str = typer.Option(..., "--delivered", help="Delivery date YYYY-MM-DD."),
    lease_months: int | None = typer.Option(
        None, "--lease-months", help="ALLEO leased equipment: lease length."
    ),
    db_url: str | None = DB_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Record equipment delivered to a site; its warranty end follows the site's contract profile.

    Example: centrex inventory add-equipment --site hq --kind handset --serial S1 --delivered 2026-02-01
    """
    from provisioning import db, inventory
    from provisioning.export import EQUIPMENT_COLUMNS, equipment_row

    day = parse_day(delivered, "--delivered")
    with db.session_scope(db_url) as session:
        row = equipment_row(inventory.add_equipment(session, site, kind.value, serial, day, lease_months))
    emit(row, fmt, columns=EQUIPMENT_COLUMNS)


@app.command("equipment")
def equipment(
    site: str | None = typer.Option(None, "--site"),
    db_url: str | None = DB_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """List equipment with warranty ends.

    Example: centrex inventory equipment --site paris-hq
    """
    from provisioning import db, inventory
    from provisioning.export import EQUIPMENT_COLUMNS, equipment_row

    with db.session_scope(db_url) as session:
        rows = [equipment_row(e) for e in inventory.list_equipment(session, site)]
    emit(rows, fmt, columns=EQUIPMENT_COLUMNS, title="equipment")


@app.command("add-tenant")
def add_tenant(
    name: str = typer.Argument(..., help="Tenant name."),
    domain: str = typer.Option(..., "--domain", help="SIP domain (the digest realm)."),
    channels: int = typer.Option(..., "--channels", help="Concurrent-call limit."),
    customer: str | None = typer.Option(None, "--customer", help="Owning customer (optional)."),
    db_url: str | None = DB_OPTION,
    by: str | None = BY_OPTION,
    run_dir: list[Path] | None = RELOAD_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Create a tenant (SIP domain) with its channel limit, recorded as an override typed by hand.

    Example: centrex inventory add-tenant acme --domain acme.pbx.test --channels 4
    """
    from provisioning import accounts, db
    from provisioning.export import TENANT_COLUMNS, tenant_row

    with db.session_scope(db_url) as session:
        row = tenant_row(accounts.add_tenant(session, name, domain, channels, customer, actor=actor(by)))
    announce_reload(db_url, run_dir)
    emit(row, fmt, columns=TENANT_COLUMNS)


@app.command("add-account")
def add_account(
    tenant: str = typer.Option(..., "--tenant"),
    username: str = typer.Option(..., "--username"),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from stdin (required: never on the command line)."
    ),
    db_url: str | None = DB_OPTION,
    run_dir: list[Path] | None = RELOAD_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Create a SIP account; the password is read from stdin and only its HA1 is stored.

    Every running PBX started from this database (or those of --run-dir) serves it at once.

    Example: printf '%s' "$PW" | centrex inventory add-account --tenant acme --username 1001 --password-stdin
    """
    from provisioning import accounts, db
    from provisioning.export import ACCOUNT_COLUMNS, account_row

    if not password_stdin:
        raise InputError(
            "give --password-stdin and pipe the password (it must not sit in shell history)",
            field="--password-stdin",
        )
    password = sys.stdin.readline().rstrip("\r\n")
    with db.session_scope(db_url) as session:
        row = account_row(accounts.add_sip_account(session, tenant, username, password))
    announce_reload(db_url, run_dir)
    emit(row, fmt, columns=ACCOUNT_COLUMNS)


@app.command("tenants")
def tenants(db_url: str | None = DB_OPTION, fmt: Format = FORMAT_OPTION) -> None:
    """List tenants with their channel limits.

    Example: centrex inventory tenants --format json
    """
    from provisioning import accounts, db
    from provisioning.export import TENANT_COLUMNS, tenant_row

    with db.session_scope(db_url) as session:
        rows = [tenant_row(t) for t in accounts.list_tenants(session)]
    emit(rows, fmt, columns=TENANT_COLUMNS, title="tenants")


@app.command("accounts")
def accounts_(
    tenant: str | None = typer.Option(None, "--tenant"),
    db_url: str | None = DB_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """List SIP accounts (no password, no HA1).

    Example: centrex inventory accounts --tenant acme
    """
    from provisioning import accounts, db
    from provisioning.export import ACCOUNT_COLUMNS, account_row

    with db.session_scope(db_url) as session:
        rows = [account_row(a) for a in accounts.list_sip_accounts(session, tenant)]
    emit(rows, fmt, columns=ACCOUNT_COLUMNS, title="SIP accounts")


def register(root: typer.Typer) -> None:
    """Add the `inventory` commands to the root app."""
    root.add_typer(app, name="inventory")
