"""`centrex usage audit`: fair use of "unlimited" plans over call records (001 §7, 002 §7)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import typer

from centrex import options
from centrex.options import COLUMNS, column_map
from centrex.output import Format, emit, info
from contracts.errors import InputError

app = typer.Typer(
    help="Audit call records against the fair-use rules of unlimited plans.\n\n"
    "Example: centrex usage audit --contract allset --cdrs cdrs.csv",
    no_args_is_help=True,
)

AUDIT_COLUMNS = (
    "user",
    "month",
    "calls",
    "distinct_numbers",
    "flags",
    "national_fixed_calls",
    "national_fixed_minutes",
    "out_of_plan_calls",
    "out_of_plan_eur",
    "gateway_calls",
    "pbx_calls",
    "mobility_calls",
    "retro_national_fixed_eur",
    "penalty_eur",
    "clauses",
)


@app.command("audit")
def audit(
    contract: str = typer.Option(
        ..., "--contract", help="allset or progetcom (or a YAML path with fair_use)."
    ),
    cdrs: Path = typer.Option(..., "--cdrs", help="CSV caller_user,callee,start,duration_s,device_kind."),
    rate: list[str] = typer.Option(
        [],
        "--rate",
        metavar="CLASS=EUR",
        help="Per-minute price of a destination class (national_fixed, national_mobile, national_special, "
        "international_included, international_other); the tariff is not in the seeds.",
    ),
    every_month: bool = typer.Option(False, "--all", help="List every user-month, not only flagged ones."),
    set_: list[str] = options.SET,
    fmt: Format = options.FORMAT,
    columns: str = COLUMNS,
) -> None:
    """Flag users per month: > 150 numbers, gateway/PBX/mobility, call-centre pattern; price the consequences.

    Example: centrex usage audit --contract progetcom --cdrs cdrs.csv --rate national_fixed=0.015
    """
    from contracts import usage
    from contracts.profile import load_profile

    rates = {}
    for item in rate:
        if "=" not in item:
            raise InputError(f"bad --rate {item!r}: expected CLASS=EUR", field="--rate")
        k, v = item.split("=", 1)
        rates[k.strip()] = v.strip()
    profile = load_profile(contract, set_)
    cm = column_map(columns)
    result = usage.audit(profile, cdrs, rates=rates, every_month=every_month, columns=cm)
    cm.check_used()
    info(
        f"{result.records} call records, {result.users} users, {result.user_months} user-months, "
        f"{result.totals['flagged_user_months']} flagged"
    )
    if fmt is Format.json:
        emit(result.as_dict(), fmt)
        return
    t = result.totals
    prov = (
        f"{result.provenance}; totals: retro_national_fixed_eur={t['retro_national_fixed_eur']} "
        f"penalty_eur={t['penalty_eur']} out_of_plan_eur={t['out_of_plan_eur']}; " + "; ".join(result.notes)
    )
    emit(_strs(result.rows), fmt, columns=AUDIT_COLUMNS, provenance=prov)


def _strs(rows: list[dict]) -> list[dict]:
    """Euros as exact strings in tables and CSV (3100.00, not 3100.0)."""
    return [{k: (str(v) if isinstance(v, Decimal) else v) for k, v in r.items()} for r in rows]


def register(root: typer.Typer) -> None:
    """Add the `usage` commands to the root app."""
    root.add_typer(app, name="usage")
