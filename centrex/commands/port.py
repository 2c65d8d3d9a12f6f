"""`centrex port` commands: portability mandates (000 §2.3) through their state machine, audited."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from centrex.commands.db import BY_OPTION, DB_OPTION, FORMAT_OPTION, TODAY_OPTION, actor, parse_day
from centrex.options import COLUMNS, column_map
from centrex.output import Format, emit, info
from contracts.choices import RejectionReason

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from provisioning.models import Mandate

app = typer.Typer(
    help="Portability mandates: create, submit, OBL answers, schedule, complete, history.\n\n"
    "Example: centrex port history 1",
    no_args_is_help=True,
)
ID = typer.Argument(..., help="Mandate id.")
NOTE = typer.Option(None, "--note", help="Why (kept in the audit trail).")


def _run(db_url: str | None, today: str | None, work: Callable[[Session], Mandate], fmt: Format) -> None:
    """Expire overdue mandates (own transaction, so the expiry is kept), then do `work`; print the mandate."""
    from provisioning import db, mandates
    from provisioning.export import MANDATE_COLUMNS, mandate_row

    day = parse_day(today)
    with db.session_scope(db_url) as session:
        for m in mandates.expire_due(session, today=day):
            info(f"mandate {m.id} expired on {m.expires.isoformat()}")
    with db.session_scope(db_url) as session:
        row = mandate_row(work(session))
    emit(row, fmt, columns=MANDATE_COLUMNS)


@app.command("create")
def create(
    site: str = typer.Option(..., "--site", help="Site the numbers are ported to."),
    holder: str = typer.Option(..., "--holder", help="Holder of the lines at the local-loop operator."),
    address: str = typer.Option(..., "--address", help="Address of the lines as the OBL knows it."),
    numbers: Path = typer.Option(
        ..., "--numbers", help="File with the numbers to port, one per line; `#` lines are comments."
    ),
    expires: str = typer.Option(..., "--expires", help="Expiry date of the mandate YYYY-MM-DD."),
    rio: str | None = typer.Option(None, "--rio", help="RIO of the line (12 characters OO Q RRRRRR CCC)."),
    db_url: str | None = DB_OPTION,
    by: str | None = BY_OPTION,
    today: str | None = TODAY_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Record a signed portability mandate (state: draft).

    Example: centrex port create --site paris-hq --holder "Acme SA" --address "1 rue de Rivoli, 75001 Paris"
    --numbers numbers.txt --expires 2026-12-31 --rio 01P123456ABC
    """
    from provisioning import mandates
    from provisioning.inventory import parse_date

    listed = mandates.read_numbers_file(numbers)
    until = parse_date(expires, field="--expires")
    _run(
        db_url,
        today,
        lambda s: mandates.create_mandate(
            s,
            site=site,
            holder=holder,
            address=address,
            numbers=listed,
            expires=until,
            rio=rio,
            actor=actor(by),
            today=parse_day(today),
        ),
        fmt,
    )


@app.command("correct")
def correct(
    mandate_id: int = ID,
    holder: str | None = typer.Option(None, "--holder"),
    address: str | None = typer.Option(None, "--address"),
    numbers: Path | None = typer.Option(None, "--numbers", help="File with the full corrected list."),
    rio: str | None = typer.Option(None, "--rio"),
    db_url: str | None = DB_OPTION,
    by: str | None = BY_OPTION,
    today: str | None = TODAY_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Correct a draft, rejected or postponed mandate before (re)submitting it.

    Example: centrex port correct 3 --holder "ACME SA"
    """
    from provisioning import mandates

    listed = None if numbers is None else mandates.read_numbers_file(numbers)
    _run(
        db_url,
        today,
        lambda s: mandates.correct_mandate(
            s,
            mandate_id,
            holder=holder,
            address=address,
            numbers=listed,
            rio=rio,
            actor=actor(by),
            today=parse_day(today),
        ),
        fmt,
    )


def _act(
    mandate_id: int, action: str, by: str | None, today: str | None, note: str | None, **details
) -> Callable[[Session], Mandate]:
    """The work of one state-machine action (`details`: its own fields, e.g. reason, port_date)."""
    from provisioning import mandates

    return lambda s: mandates.act(
        s, mandate_id, action, actor=actor(by), note=note, today=parse_day(today), **details
    )


def _action(name: str, doc: str, example: str) -> None:
    def command(
        mandate_id: int = ID,
        note: str | None = NOTE,
        db_url: str | None = DB_OPTION,
        by: str | None = BY_OPTION,
        today: str | None = TODAY_OPTION,
        fmt: Format = FORMAT_OPTION,
    ) -> None:
        _run(db_url, today, _act(mandate_id, name, by, today, note), fmt)

    command.__doc__ = f"{doc}\n\nExample: {example}"
    app.command(name)(command)


_action(
    "submit", "Submit a draft (or corrected) mandate to the local-loop operator.", "centrex port submit 3"
)
_action("accept", "Record the OBL's acceptance (eligibility confirmed).", "centrex port accept 3")
_action("postpone", "Record that the OBL postponed the port.", "centrex port postpone 3 --note 'access busy'")
_action("study", "Record that the OBL opened further technical studies.", "centrex port study 3")
_action("complete", "Record the port as done (on or after its scheduled date).", "centrex port complete 3")
_action(
    "cancel", "Cancel a mandate (final: a new mandate is needed).", "centrex port cancel 3 --note 'customer'"
)


@app.command("reject")
def reject(
    mandate_id: int = ID,
    reason: RejectionReason = typer.Option(
        ..., "--reason", help="The OBL's ground for rejection (000 §2.3)."
    ),
    note: str | None = NOTE,
    db_url: str | None = DB_OPTION,
    by: str | None = BY_OPTION,
    today: str | None = TODAY_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Record the OBL's rejection with its reason; the mandate can then be corrected and resubmitted.

    Example: centrex port reject 3 --reason wrong_holder
    """
    _run(db_url, today, _act(mandate_id, "reject", by, today, note, reason=reason.value), fmt)


@app.command("schedule")
def schedule(
    mandate_id: int = ID,
    date_: str = typer.Option(..., "--date", help="Port date YYYY-MM-DD."),
    note: str | None = NOTE,
    db_url: str | None = DB_OPTION,
    by: str | None = BY_OPTION,
    today: str | None = TODAY_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Schedule the port of an accepted mandate: after service start, ≥ 1 jour ouvrable after acceptance
    (ARCEP 2013-0830: Monday to Saturday unless the profile's `jour_ouvrable` says its business days).

    Example: centrex port schedule 3 --date 2026-06-02
    """
    from provisioning.inventory import parse_date

    when = parse_date(date_, field="--date")
    _run(db_url, today, _act(mandate_id, "schedule", by, today, note, port_date=when), fmt)


@app.command("obl")
def obl_answer(
    mandate_id: int = ID,
    db_url: str | None = DB_OPTION,
    today: str | None = TODAY_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Let the simulated local-loop operator answer a submitted mandate from its records.

    Example: centrex port obl 3
    """
    from provisioning import obl

    _run(db_url, today, lambda s: obl.answer(s, mandate_id, today=parse_day(today)), fmt)


@app.command("obl-load")
def obl_load(
    records: Path = typer.Argument(..., help="CSV: number,ndi,holder,address,line_type[,access_available]."),
    db_url: str | None = DB_OPTION,
    columns: str = COLUMNS,
) -> None:
    """Load the simulated OBL's line records (who holds which number under which main line).

    Example: centrex port obl-load obl_lines.csv
    """
    from provisioning import db, obl

    cm = column_map(columns)
    with db.session_scope(db_url) as session:
        count = obl.load_records(session, records, cm)
        cm.check_used()
    info(f"{count} OBL line record(s) loaded")


@app.command("expire")
def expire(
    db_url: str | None = DB_OPTION, today: str | None = TODAY_OPTION, fmt: Format = FORMAT_OPTION
) -> None:
    """Expire every open mandate past its expiry date and list them.

    Example: centrex port expire --today 2027-01-01
    """
    from provisioning import db, mandates
    from provisioning.export import MANDATE_COLUMNS, mandate_row

    with db.session_scope(db_url) as session:
        rows = [mandate_row(m) for m in mandates.expire_due(session, today=parse_day(today))]
    emit(rows, fmt, columns=MANDATE_COLUMNS, title="expired mandates")


@app.command("list")
def list_(
    site: str | None = typer.Option(None, "--site"),
    state: str | None = typer.Option(None, "--state"),
    db_url: str | None = DB_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """List mandates; CSV and JSON are the export formats.

    Example: centrex port list --state scheduled --format csv
    """
    from provisioning import db, mandates
    from provisioning.export import MANDATE_COLUMNS, mandate_row

    with db.session_scope(db_url) as session:
        rows = [mandate_row(m) for m in mandates.list_mandates(session, site=site, state=state)]
    emit(rows, fmt, columns=MANDATE_COLUMNS, title="mandates")


@app.command("show")
def show(mandate_id: int = ID, db_url: str | None = DB_OPTION, fmt: Format = FORMAT_OPTION) -> None:
    """Show one mandate with its numbers.

    Example: centrex port show 3 --format json
    """
    from provisioning import db, mandates
    from provisioning.export import MANDATE_COLUMNS, mandate_row

    with db.session_scope(db_url) as session:
        row = mandate_row(mandates.get_mandate(session, mandate_id))
    if fmt is Format.table:
        emit(row, fmt, columns=MANDATE_COLUMNS)
        emit([{"number": n} for n in row["number_list"]], fmt, columns=["number"])
    elif fmt is Format.csv:  # one line per number, with the mandate's columns
        emit([dict(row, number=n) for n in row["number_list"]], fmt, columns=MANDATE_COLUMNS + ["number"])
    else:
        emit(row, fmt)


@app.command("history")
def history(mandate_id: int = ID, db_url: str | None = DB_OPTION, fmt: Format = FORMAT_OPTION) -> None:
    """Show the audit trail of a mandate: every transition, when, by whom, why.

    Example: centrex port history 3 --format csv
    """
    from provisioning import db, mandates
    from provisioning.export import EVENT_COLUMNS, event_row

    with db.session_scope(db_url) as session:
        rows = [event_row(e) for e in mandates.history(session, mandate_id)]
    emit(rows, fmt, columns=EVENT_COLUMNS, title=f"mandate {mandate_id}")


def register(root: typer.Typer) -> None:
    """Add the `port` commands to the root app."""
    root.add_typer(app, name="port")
