"""`centrex sla compute|explain|diff|choices`: SLA statements from incident tickets and bills."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from centrex import options
from centrex.options import COLUMNS, column_map
from centrex.output import Format, emit, emit_json_rows, warn

app = typer.Typer(
    help="SLA statements: availability, service credits and caps per site and month.\n\n"
    "Example: centrex sla compute --contract alleo --incidents incidents.csv --billing billing.csv",
    no_args_is_help=True,
)

CONTRACT = options.CONTRACT
INCIDENTS = typer.Option(
    ..., "--incidents", help="incidents.csv: ticket,site,notified_at,restored_at,cause[,…]"
)
BILLING = typer.Option(..., "--billing", help="billing.csv: site,month,recurring_fees,usage_charges")
INSTALLS = typer.Option(
    None, "--installs", help="installs.csv: site,handsets,indicative_date,service_start,customer_caused"
)
AS_OF = typer.Option(
    None, "--as-of", help="Count open incidents up to this instant (default: end of the last billed month)."
)
FORMAT = options.FORMAT
SET = options.SET


def _load(contract, incidents, billing, installs, as_of, sets, columns, theirs=None):
    from contracts.explain import read_theirs
    from contracts.instants import parse_instant
    from contracts.profile import load_profile
    from contracts.sla import load_inputs

    profile = load_profile(contract, sets)
    cm = column_map(columns)
    inc, bill, ins = load_inputs(incidents, billing, installs, cm)
    their = read_theirs(theirs, cm) if theirs is not None else None
    cm.check_used()
    return profile, inc, bill, ins, parse_instant(as_of) if as_of else None, their


@app.command("compute")
def compute_cmd(
    contract: str = CONTRACT,
    incidents: Path = INCIDENTS,
    billing: Path = BILLING,
    installs: Path = INSTALLS,
    as_of: str = AS_OF,
    fmt: Format = FORMAT,
    sets: list[str] = SET,
    columns: str = COLUMNS,
) -> None:
    """Compute the statement of every (site, month) of the billing file.

    Example: centrex sla compute --contract alleo --incidents inc.csv --billing billing.csv --format json
    """
    from contracts.objectives import check_objectives
    from contracts.sla import compute

    profile, inc, bill, ins, at, _ = _load(contract, incidents, billing, installs, as_of, sets, columns)
    res = compute(profile, inc, bill, ins, at)
    for w in res.warnings:
        warn(w)
    objectives = check_objectives(profile, inc, res.effective_end)
    rows, warnings = _with_objectives(res.rows, inc, objectives, detail=fmt is Format.json)
    for w in warnings:
        warn(w)
    if fmt is Format.json:
        emit_json_rows(rows)  # each row's objective_incidents made as it is written
        return
    emit(
        list(rows),
        fmt,
        columns=_columns(res.rows, profile),
        provenance=profile.provenance(),
        title="SLA statement",
    )


def _with_objectives(rows, inc, results, *, detail: bool):
    """Each row with its objective counts (flat `restoration_met`, …, and a short `objectives` text for the
    table and CSV) and, in JSON (`detail`), the clauses and the objectives of each incident one applies to
    (`objective_incidents`, by site and month of the notification), made row by row as they are written.
    Also a warning per site-month with incidents but no billing row (never dropped silently)."""
    from contracts.month import Month
    from contracts.objectives import COUNT_KEYS, incidents_by_site_month, objectives_by_site_month, short_text

    counts = objectives_by_site_month(inc, results)
    groups = incidents_by_site_month(inc) if detail else {}
    keys = [(row["site"], Month.parse(row["month"])) for row in rows]
    billed = set(keys)
    warnings = [
        f"site {site} month {Month(m).text}: objectives of {sum(c.values())} incident(s) but the month is "
        "absent from the billing file; no statement row"
        for (site, m), c in sorted(counts.items())
        if (site, m) not in billed
    ]

    def each():
        terms = results.terms() if detail else {}
        for row, key in zip(rows, keys, strict=True):
            c = counts.get(key, {})
            row.update({k: c.get(k, 0) for k in COUNT_KEYS})
            if not detail:
                row["objectives"] = short_text(c)
                yield row
                continue
            pos = groups.get(key)
            items = []
            if pos is not None:
                pos = results.applicable(pos)
                tickets = [inc.ticket[i] for i in pos.tolist()]
                items = [{"ticket": t, **x} for t, x in zip(tickets, results.incidents(pos), strict=True)]
            yield {**row, **terms, "objective_incidents": items}

    return each(), warnings


def _columns(rows, profile):
    cols = [
        "site",
        "month",
        "downtime_minutes",
        "availability",
        "credit_pct",
        "credit_eur",
        "lost_to_cap_eur",
        "open",
    ]
    if profile.install_delay is not None:
        cols.append("install_credit_eur")
    cols.append("objectives")  # R met/measured (restoration), E (replacement): contracts/objectives.py
    return cols


@app.command("explain")
def explain_cmd(
    site: str = typer.Option(..., "--site", help="Site id."),
    month: str = typer.Option(..., "--month", help="Month YYYY-MM."),
    contract: str = CONTRACT,
    incidents: Path = INCIDENTS,
    billing: Path = BILLING,
    installs: Path = INSTALLS,
    as_of: str = AS_OF,
    fmt: Format = FORMAT,
    sets: list[str] = SET,
    columns: str = COLUMNS,
) -> None:
    """Explain one site-month step by step, every step with its clause.

    Example: centrex sla explain --contract alleo --incidents i.csv --billing b.csv --site E01 --month 2026-03
    """
    from contracts.explain import explain

    profile, inc, bill, ins, at, _ = _load(contract, incidents, billing, installs, as_of, sets, columns)
    lines = explain(profile, inc, bill, ins, at, site, month)
    if fmt is Format.table:
        sys.stdout.write("\n".join(lines) + "\n")
    elif fmt is Format.json:
        emit({"site": site, "month": month, "provenance": profile.provenance(), "steps": lines[1:]}, fmt)
    else:
        emit([{"step": x} for x in lines[1:]], fmt, columns=["step"], provenance=profile.provenance())


@app.command("diff")
def diff_cmd(
    theirs: Path = typer.Option(..., "--theirs", help="Another system's statement: site,month,credit_eur."),
    contract: str = CONTRACT,
    incidents: Path = INCIDENTS,
    billing: Path = BILLING,
    installs: Path = INSTALLS,
    as_of: str = AS_OF,
    fmt: Format = FORMAT,
    sets: list[str] = SET,
    columns: str = COLUMNS,
) -> None:
    """List every site-month where another system's credit disagrees with ours, with our explanation.

    Example: centrex sla diff --contract allset --incidents i.csv --billing b.csv --theirs their_statement.csv
    """
    from contracts.explain import diff
    from contracts.sla import compute

    profile, inc, bill, ins, at, their = _load(
        contract, incidents, billing, installs, as_of, sets, columns, theirs
    )
    res = compute(profile, inc, bill, ins, at)
    for w in res.warnings:
        warn(w)
    rows = diff(res, their)
    cols = ["site", "month", "ours_eur", "theirs_eur", "difference_eur", "explanation"]
    emit(rows, fmt, columns=cols, provenance=profile.provenance(), title=f"{len(rows)} disagreement(s)")


@app.command("choices")
def choices_cmd(
    contract: str = CONTRACT,
    incidents: Path = INCIDENTS,
    billing: Path = BILLING,
    installs: Path = INSTALLS,
    as_of: str = AS_OF,
    fmt: Format = FORMAT,
    sets: list[str] = SET,
    columns: str = COLUMNS,
) -> None:
    """For each contract choice, the total credit under each reading, side by side.

    Example: centrex sla choices --contract alleo --incidents incidents.csv --billing billing.csv
    """
    from contracts.explain import choices_table

    profile, inc, bill, ins, at, _ = _load(contract, incidents, billing, installs, as_of, sets, columns)
    rows = choices_table(profile, inc, bill, ins, at)
    cols = [
        "choice",
        "value",
        "current",
        "default",
        "total_credit_eur",
        "lost_to_cap_eur",
        "vs_current_eur",
        "clause",
    ]
    emit(rows, fmt, columns=cols, provenance=profile.provenance(), title="Credit under each reading")


def register(root: typer.Typer) -> None:
    """Add the `sla` commands to the root app."""
    root.add_typer(app, name="sla")
