"""`centrex db` commands: migrate the inventory schema and verify its invariants."""

from __future__ import annotations

from datetime import date

import typer

from centrex import options
from centrex.output import Format, emit, info

# Kept under these names for the inventory command groups (numbers, port, inventory).
DB_OPTION, BY_OPTION, TODAY_OPTION, FORMAT_OPTION = options.DB, options.BY, options.TODAY, options.FORMAT


def actor(by: str | None) -> str:
    """Return who acts: --by, else the default actor."""
    from provisioning.clock import default_actor

    return by or default_actor()


def parse_day(text: str | None, field: str = "--today") -> date | None:
    """Return the date of a --today/--date option (None when absent)."""
    from provisioning.inventory import parse_date

    return None if text is None else parse_date(text, field=field)


app = typer.Typer(
    help="Inventory database: schema migrations and invariant checks.\n\n"
    "Example: centrex db upgrade --db centrex.db",
    no_args_is_help=True,
)


@app.command("upgrade")
def upgrade(db_url: str | None = DB_OPTION) -> None:
    """Create or migrate the database schema to the newest revision.

    Example: centrex db upgrade --db postgresql://user@/centrex?host=/tmp
    """
    from provisioning import db

    revision = db.upgrade(db_url)
    info(f"database {db.resolve_url(db_url).split('@')[-1]} at revision {revision}")


@app.command("check")
def check(db_url: str | None = DB_OPTION, fmt: Format = FORMAT_OPTION) -> None:
    """Verify the invariants: no number in two blocks, no block without its numbers, alignment, audit trail.

    Exit code 1 when an invariant is broken. Example: centrex db check --format json
    """
    from provisioning import check as checks
    from provisioning import db
    from provisioning.export import CHECK_COLUMNS, check_row

    with db.session_scope(db_url) as session:
        results = checks.check(session)
    emit([check_row(r) for r in results], fmt, columns=CHECK_COLUMNS, title="inventory invariants")
    if not all(r.ok for r in results):
        for r in results:
            for v in r.violations:
                info(f"{r.name}: {v}")
        raise typer.Exit(1)


def register(root: typer.Typer) -> None:
    """Add the `db` commands to the root app."""
    root.add_typer(app, name="db")
