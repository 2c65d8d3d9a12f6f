"""`centrex bill`: early-termination fees, first-period pro rata, refunds, call pricing, late payment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import typer

from centrex import options
from centrex.options import COLUMNS, column_map
from centrex.output import Format, emit
from contracts.errors import InputError

app = typer.Typer(
    help="What leaving early, the first month, calls and late payment cost under each contract.\n\n"
    "Example: centrex bill etf --contract allset --service-start 2025-01-15 --terminate-on 2028-03-01 "
    "--monthly-fees 100",
    no_args_is_help=True,
)

_CONTRACT = options.CONTRACT
_SET = options.SET
_FMT = options.FORMAT
LINE_COLUMNS = ("what", "months", "rate", "amount", "clause")


def _date(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InputError(f"not an ISO date (YYYY-MM-DD): {value!r}", field=name) from None


@app.command("etf")
def etf(
    contract: str = _CONTRACT,
    service_start: str | None = typer.Option(
        None,
        "--service-start",
        help="Date de Mise en Service (YYYY-MM-DD); omit it, or give a date after --terminate-on, for a "
        "site not yet in service (000 §6.4).",
    ),
    terminate_on: str = typer.Option(..., "--terminate-on", help="Date the termination takes effect."),
    monthly_fees: str = typer.Option(..., "--monthly-fees", help="Monthly fixed fees of the site, € HT."),
    initial_months: int | None = typer.Option(None, "--initial-months", help="Initial period (order form)."),
    handsets: int = typer.Option(0, "--handsets", help="Handsets terminated (ALLEO: 90 € each, 000 §6.3)."),
    link_fees: str | None = typer.Option(
        None,
        "--link-fees",
        help="ALLEO access/backup link interruption fees (000 §6.4); default: the profile's placeholder.",
    ),
    order_form_amount: str = typer.Option(
        "0", "--order-form-amount", help="ProgetCom order-form amount (002 §5 b)."
    ),
    procedure_penalty: str = typer.Option(
        "0", "--procedure-penalty", help="ProgetCom procedure penalty (002 §5 c)."
    ),
    set_: list[str] = _SET,
    fmt: Format = _FMT,
) -> None:
    """Early-termination fee of one site, with its derivation (one line per component and clause).

    Example: centrex bill etf --contract alleo --service-start 2025-01-15 --terminate-on 2025-06-20
    --monthly-fees 100 --handsets 3 --link-fees 250 --format json

    Before service start (no --service-start): ALLEO owes the link fees only (000 §6.4).
    """
    from contracts import billing
    from contracts.profile import load_profile

    profile = load_profile(contract, set_)
    fee = billing.early_termination_fee(
        profile,
        service_start=None if service_start is None else _date(service_start, "--service-start"),
        terminate_on=_date(terminate_on, "--terminate-on"),
        monthly_fees=monthly_fees,
        initial_months=initial_months,
        handsets=handsets,
        link_fees=link_fees,
        order_form_amount=order_form_amount,
        procedure_penalty=procedure_penalty,
    )
    data = fee.as_dict()
    if fmt is Format.json:
        emit(data, fmt)
        return
    rows = [*data["lines"], {"what": "total early-termination fee", "amount": data["fee_eur"]}]
    span = "" if data["period_start"] is None else f" period {data['period_start']} → {data['period_end']}"
    title = (
        f"{data['contract']}: {data['period']}{span}, "
        f"effective {data['effective_on']}, {data['months_left']} months left"
    )
    prov = profile.provenance() + "; " + title + "".join(f"; {n}" for n in data["notes"])
    emit(_strs(rows), fmt, columns=LINE_COLUMNS, provenance=prov, title=title)


@app.command("prorata")
def prorata(
    contract: str = _CONTRACT,
    service_start: str = typer.Option(..., "--service-start", help="Service start date (YYYY-MM-DD)."),
    monthly_fees: str = typer.Option(..., "--monthly-fees", help="Monthly fixed fees, € HT."),
    set_: list[str] = _SET,
    fmt: Format = _FMT,
) -> None:
    """Fee of the started first month, pro rata from the service start (000 §7.1, 003 §2).

    Example: centrex bill prorata --contract allocloud --service-start 2026-03-11 --monthly-fees 310
    """
    from contracts import billing
    from contracts.profile import load_profile

    profile = load_profile(contract, set_)
    emit(
        billing.prorata_first_period(
            profile, monthly_fees=monthly_fees, service_start=_date(service_start, "--service-start")
        ),
        fmt,
        provenance=profile.provenance(),
    )


@app.command("refund")
def refund(
    contract: str = _CONTRACT,
    amount: str = typer.Option(..., "--amount", help="Fixed fees paid for a time after the end, € HT."),
    customer_breached: bool = typer.Option(
        False, "--customer-breached", help="Ended for the customer's breach."
    ),
    set_: list[str] = _SET,
    fmt: Format = _FMT,
) -> None:
    """Refund of fixed fees paid beyond the end (003 §3; Telavox GC §13.2 with --set refund_prepaid=true).

    Example: centrex bill refund --contract allocloud --amount 55 --set refund_prepaid=true
    """
    from contracts import billing
    from contracts.profile import load_profile

    profile = load_profile(contract, set_)
    emit(
        billing.refund_prepaid(profile, amount=amount, customer_breached=customer_breached),
        fmt,
        provenance=profile.provenance(),
    )


@app.command("price-calls")
def price_calls(
    cdrs: Path = typer.Option(..., "--cdrs", help="CSV caller_user,callee,start,duration_s,device_kind."),
    rate_per_minute: str = typer.Option(..., "--rate-per-minute", help="Price of a minute, € HT."),
    contract: str = options.contract("allocloud", "Profile whose pricing unit applies."),
    set_: list[str] = _SET,
    fmt: Format = _FMT,
    columns: str = COLUMNS,
) -> None:
    """Price calls per user and month: per second, each call rounded up to the cent (003 §2).

    Example: centrex bill price-calls --cdrs cdrs.csv --rate-per-minute 0.05 --format csv
    """
    from contracts import billing
    from contracts.profile import load_profile

    profile = load_profile(contract, set_)
    cm = column_map(columns)
    result = billing.price_calls(profile, str(cdrs), rate_per_minute=rate_per_minute, columns=cm)
    cm.check_used()
    if fmt is Format.json:
        emit(result, fmt)
        return
    rows = [*result["rows"], {"user": "TOTAL", "amount_eur": result["total_eur"]}]
    emit(
        rows,
        fmt,
        columns=("user", "month", "calls", "seconds", "amount_eur"),
        provenance=f"{result['provenance']}; unit={result['unit']} ({result['clause']})",
    )


@app.command("late")
def late(
    contract: str = options.contract("allocloud", "Profile (ALLOcloud sets 1 %/month)."),
    amount: str = typer.Option(..., "--amount", help="Invoice amount paid late, € HT."),
    due: str = typer.Option(..., "--due", help="Due date (YYYY-MM-DD; Telavox GC §5.2: invoice + 30 days)."),
    paid_on: str = typer.Option(..., "--paid-on", help="Payment date (YYYY-MM-DD)."),
    set_: list[str] = _SET,
    fmt: Format = _FMT,
) -> None:
    """Late-payment interest (1 % per month, 003 §2) and whether suspension was allowed (> 20 days).

    Example: centrex bill late --amount 1000 --due 2026-01-10 --paid-on 2026-02-25
    """
    from contracts import billing
    from contracts.profile import load_profile

    profile = load_profile(contract, set_)
    d, p = _date(due, "--due"), _date(paid_on, "--paid-on")
    emit(billing.late_payment(profile, amount=amount, due=d, paid_on=p), fmt, provenance=profile.provenance())


def _strs(rows: list[dict]) -> list[dict]:
    """Euros as exact strings in tables and CSV (3100.00, not 3100.0)."""
    return [{k: (str(v) if isinstance(v, Decimal) else v) for k, v in r.items()} for r in rows]


def register(root: typer.Typer) -> None:
    """Add the `bill` commands to the root app."""
    root.add_typer(app, name="bill")
