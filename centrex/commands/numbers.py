"""`centrex numbers` commands: operator ranges, SDA blocks per site, release through quarantine."""

from __future__ import annotations

import typer

from centrex.commands.db import BY_OPTION, DB_OPTION, FORMAT_OPTION, TODAY_OPTION, actor, parse_day
from centrex.output import Format, emit, info
from provisioning.choices import DEFAULT_QUARANTINE_DAYS, BlockPurpose

app = typer.Typer(
    help="SDA numbers: ranges, blocks allocated to sites, release and quarantine.\n\n"
    "Example: centrex numbers allocate --site PARIS-01 --size 10",
    no_args_is_help=True,
)


@app.command("add-range")
def add_range(
    start: str = typer.Argument(..., help="First number, E.164 (+33…) or national (01…)."),
    size: int = typer.Option(..., "--size", help="How many consecutive numbers."),
    db_url: str | None = DB_OPTION,
    by: str | None = BY_OPTION,
) -> None:
    """Load an operator range of geographic (01–05) or 09 numbers.

    Example: centrex numbers add-range +33170000000 --size 10000
    """
    from provisioning import db
    from provisioning import numbers as nb
    from provisioning.plan import format_e164

    with db.session_scope(db_url) as session:
        rng = nb.add_range(session, start, size, actor(by))
        info(
            f"range {format_e164(rng.start)}…{format_e164(rng.start + rng.size - 1)} loaded"
            f" ({rng.size} numbers)"
        )


@app.command("allocate")
def allocate(
    site: str = typer.Option(..., "--site", help="Site receiving the block."),
    size: int = typer.Option(..., "--size", help="Block size: 1, 10, 100 or 1000."),
    zone: str | None = typer.Option(
        None, "--zone", help="01–05 (must be the site's) or 09; default the site's."
    ),
    purpose: BlockPurpose = typer.Option(
        BlockPurpose.extensions, "--purpose", help="What the numbers are for."
    ),
    db_url: str | None = DB_OPTION,
    by: str | None = BY_OPTION,
    today: str | None = TODAY_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Allocate a contiguous, size-aligned block to a site (it carries the site's emergency address).

    Example: centrex numbers allocate --site paris-hq --size 100 --zone 01
    """
    from provisioning import db
    from provisioning import numbers as nb
    from provisioning.export import BLOCK_COLUMNS, block_row

    day = parse_day(today)
    block = db.driver_transaction(
        db_url,
        lambda d: nb.allocate_block(
            d, site, size, zone=zone, purpose=purpose.value, actor=actor(by), today=day
        ),
    )
    emit(block_row(block), fmt, columns=BLOCK_COLUMNS[:10])


@app.command("release")
def release(
    block: str = typer.Argument(..., help="Block id, or any number of the block."),
    quarantine_days: int = typer.Option(
        DEFAULT_QUARANTINE_DAYS, "--quarantine-days", help="Days before the numbers are free again."
    ),
    db_url: str | None = DB_OPTION,
    by: str | None = BY_OPTION,
    today: str | None = TODAY_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Release a block: its numbers go to quarantine before they can be allocated again.

    Example: centrex numbers release +33170000100 --quarantine-days 90
    """
    from provisioning import db
    from provisioning import numbers as nb
    from provisioning.export import BLOCK_COLUMNS, block_row

    with db.session_scope(db_url) as session:
        released = nb.release_block(
            session, block, actor=actor(by), quarantine_days=quarantine_days, today=parse_day(today)
        )
        row = block_row(released)
    emit(row, fmt, columns=BLOCK_COLUMNS)


@app.command("list")
def list_(
    site: str | None = typer.Option(None, "--site", help="Only this site's blocks."),
    state: str | None = typer.Option(None, "--state", help="allocated or released."),
    ranges: bool = typer.Option(False, "--ranges", help="List the ranges and their usage instead of blocks."),
    db_url: str | None = DB_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """List blocks (or ranges with --ranges); CSV and JSON are the export formats.

    Example: centrex numbers list --site paris-hq --format csv > blocks.csv
    """
    from provisioning import db
    from provisioning import numbers as nb
    from provisioning.export import BLOCK_COLUMNS, RANGE_COLUMNS, block_row, range_row

    with db.session_scope(db_url) as session:
        if ranges:
            emit([range_row(u) for u in nb.list_ranges(session)], fmt, columns=RANGE_COLUMNS, title="ranges")
            return
        rows = [block_row(b) for b in nb.list_blocks(session, site=site, state=state)]
    emit(rows, fmt, columns=BLOCK_COLUMNS, title="blocks")


@app.command("show")
def show(
    number: str = typer.Argument(..., help="A number (E.164 or national)."),
    db_url: str | None = DB_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Show one number: its state, block, site and emergency address.

    Example: centrex numbers show +33170000042 --format json
    """
    from provisioning import db
    from provisioning import numbers as nb
    from provisioning.export import NUMBER_COLUMNS, number_row

    with db.session_scope(db_url) as session:
        n = nb.get_number(session, number)
        row = number_row(n, nb.block_of(session, n))
    emit(row, fmt, columns=NUMBER_COLUMNS + ["emergency_address"])


def register(root: typer.Typer) -> None:
    """Add the `numbers` commands to the root app."""
    root.add_typer(app, name="numbers")
