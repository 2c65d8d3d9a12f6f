"""`centrex capacity`: channel allowance vs the channels a customer's busy hour needs (pre-sales)."""

from __future__ import annotations

from pathlib import Path

import typer

from centrex import options
from centrex.options import COLUMNS, column_map
from centrex.output import Format, emit, info, to_csv
from contracts.errors import InputError

SIZING_COLUMNS = (
    "users",
    "allowance_channels",
    "offered_erlangs",
    "channels_needed",
    "blocking_at_allowance",
    "extra_channels",
    "verdict",
)

app = typer.Typer(
    help="Size concurrent calls: contract allowance (ALLOcloud 004 §11.d) vs Erlang B channels needed.\n\n"
    "Example: centrex capacity --contract allocloud --users 20 --erlangs-per-user 0.1 --gos 0.01",
    invoke_without_command=True,
    no_args_is_help=False,
)

_CONTRACT = options.contract("allocloud", "Contract profile (name or YAML path).")
_SET = options.SET
_CALLS = typer.Option(
    None, "--busy-hour-calls-per-user", help="Busy-hour calls per user (with --mean-holding-s)."
)
_HOLD = typer.Option(None, "--mean-holding-s", help="Mean call holding time in seconds.")
_ERL = typer.Option(
    None, "--erlangs-per-user", help="Busy-hour Erlangs per user (instead of calls x holding)."
)
_GOS = typer.Option(0.01, "--gos", help="Grade of service: target blocking probability, in (0, 1).")
_FMT = options.FORMAT


@app.callback()
def capacity(
    ctx: typer.Context,
    contract: str = _CONTRACT,
    users: int | None = typer.Option(None, "--users", help="Billable users."),
    devices: Path | None = typer.Option(
        None,
        "--devices",
        help="CSV device,kind,user,room to count billable users from (kinds: `centrex capacity kinds`).",
    ),
    calls: float | None = _CALLS,
    holding: float | None = _HOLD,
    erlangs: float | None = _ERL,
    gos: float = _GOS,
    set_: list[str] = _SET,
    fmt: Format = _FMT,
    columns: str = COLUMNS,
) -> None:
    """Size one customer: allowance, offered Erlangs, channels needed at the GoS, verdict.

    Example: centrex capacity --users 50 --busy-hour-calls-per-user 2 --mean-holding-s 180 --format json
    """
    from contracts.sizing import erlangs_per_user, load_channel_contract, size, size_devices

    if ctx.invoked_subcommand is not None:
        return
    if (users is None) == (devices is None):
        raise InputError("give exactly one of --users N or --devices FILE", field="--users")
    e = erlangs_per_user(erlangs, calls, holding)
    terms = load_channel_contract(contract, set_)
    if devices is not None:
        cm = column_map(columns)
        result = size_devices(_read(devices), str(devices), e, gos, terms, cm)
        cm.check_used()
    else:
        result = size(users, e, gos, terms)
    result = {"contract": terms.name, **result}
    emit(result, fmt, columns=SIZING_COLUMNS, provenance=terms.provenance, title="capacity")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError("file not found", file=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read: {exc}", file=str(path)) from None


def _user_range(text: str) -> tuple[int, int]:
    """Parse `1..200` (or a single `N`) into (first, last)."""
    first, sep, last = text.partition("..")
    try:
        lo = int(first)
        hi = int(last) if sep else lo
    except ValueError:
        raise InputError(f"expected FIRST..LAST like 1..200, got {text!r}", field="--users") from None
    return lo, hi


@app.command("table")
def table(
    users: str = typer.Option("1..200", "--users", help="User range FIRST..LAST."),
    contract: str = _CONTRACT,
    calls: float | None = _CALLS,
    holding: float | None = _HOLD,
    erlangs: float | None = _ERL,
    gos: float = _GOS,
    set_: list[str] = _SET,
    csv_file: Path | None = typer.Option(None, "--csv", help="Write the curve as CSV to this file."),
    html_file: Path | None = typer.Option(
        None, "--html", help="Write the curve as an HTML page with a chart."
    ),
    fmt: Format = _FMT,
) -> None:
    """Print the curve allowance vs channels needed for a range of users (stdout unless --csv/--html).

    Example: centrex capacity table --users 1..200 --erlangs-per-user 0.1 --csv curve.csv
    """
    from contracts import atomic
    from contracts.sizing import erlangs_per_user, load_channel_contract, size_table

    first, last = _user_range(users)
    e = erlangs_per_user(erlangs, calls, holding)
    terms = load_channel_contract(contract, set_)
    rows = size_table(first, last, e, gos, terms)
    prov = f"{terms.provenance} erlangs_per_user={e:g} gos={gos:g}"
    if csv_file is None and html_file is None:
        emit(rows, fmt, columns=SIZING_COLUMNS, provenance=prov, title="capacity table")
        return
    if csv_file is not None:
        atomic.write_text(csv_file, to_csv(rows, SIZING_COLUMNS, prov))
        info(f"wrote {csv_file} ({len(rows)} rows)")
    if html_file is not None:
        from centrex.report import write_capacity_html

        labels = {"allowance_channels": "allowance (channels)", "channels_needed": "needed at GoS (channels)"}
        write_capacity_html(
            rows, html_file, title="Capacity table", subtitle=prov, labels=labels, columns=SIZING_COLUMNS
        )
        info(f"wrote {html_file}")


@app.command("reduce")
def reduce(
    users: int = typer.Option(..., "--users", help="Billable users at the start of the quarter."),
    to: int = typer.Option(..., "--to", help="Target number of billable users."),
    contract: str = _CONTRACT,
    set_: list[str] = _SET,
    fmt: Format = _FMT,
) -> None:
    """Plan a reduction of billable users: at most 10 % per quarter (003 §2, 004 §11.d).

    Example: centrex capacity reduce --users 100 --to 80
    """
    from contracts.sizing import load_channel_contract, reduction_plan

    terms = load_channel_contract(contract, set_)
    rows = reduction_plan(users, to, terms)
    emit(
        rows,
        fmt,
        columns=("quarter", "users", "allowance_channels"),
        provenance=terms.provenance,
        title="reduction plan",
    )


@app.command("verify")
def verify(
    users: int = typer.Option(
        ..., "--users", help="Billable users; the tenant gets their channel allowance."
    ),
    contract: str = _CONTRACT,
    set_: list[str] = _SET,
    fmt: Format = _FMT,
) -> None:
    """Check the allowance on the test PBX: a throwaway Kamailio with a tenant limited to the users'
    allowance takes allowance + 1 simultaneous calls; expect allowance accepted, 1 refused (exit 1 if not).

    Example: centrex capacity verify --users 20 --format json
    """
    from contracts.sizing import load_channel_contract, pbx_channel_limit
    from sip.checks import channel_limit_held, verify_channel_limit

    terms = load_channel_contract(contract, set_)
    limit = pbx_channel_limit(users, terms)
    result = verify_channel_limit(limit)
    ok = channel_limit_held(result)
    out = {"users": users, "allowance_channels": limit, **result, "verdict": "pass" if ok else "fail"}
    emit(
        out,
        fmt,
        columns=("users", "allowance_channels", "attempted", "accepted", "refused", "verdict"),
        provenance=terms.provenance,
        title="capacity verify",
    )
    if not ok:
        raise typer.Exit(1)


@app.command("kinds")
def kinds(fmt: Format = _FMT) -> None:
    """List the device kinds of a devices CSV and how each counts toward billable users (004 §11.d).

    Example: centrex capacity kinds --format csv
    """
    from contracts.channels import KIND_HELP

    rows = [{"kind": k.value, "counts_as": k.counting.value, "meaning": v} for k, v in KIND_HELP.items()]
    emit(rows, fmt, columns=("kind", "counts_as", "meaning"), title="device kinds")


def register(root: typer.Typer) -> None:
    """Add the `capacity` commands to the root app."""
    root.add_typer(app, name="capacity")
