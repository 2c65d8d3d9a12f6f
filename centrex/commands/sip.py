"""`centrex sip check|load`: registration, channel-limit and security checks; load against the PBX."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from centrex import options
from centrex.output import Format, emit, info
from sip.choices import InterTenant, ReportFormat

if TYPE_CHECKING:
    from sip.report import CheckResult

app = typer.Typer(
    help="Check and load the local test PBX (start it with `centrex pbx up`).\n\n"
    "Example: centrex sip check --format junit --out sip-check.xml",
    no_args_is_help=True,
)

_RUN_DIR = options.RUN_DIR
_TENANT = typer.Option(None, "--tenant", help="Only this tenant.")


def _print_result(result: CheckResult) -> None:
    info(f"{'PASS' if result.passed else 'FAIL'} {result.name}: {result.evidence}")


@app.command("check")
def check(
    fmt: ReportFormat = typer.Option(ReportFormat.table, "--format", help="table, json or junit."),
    out: Path | None = typer.Option(None, "--out", help="Write the report to FILE instead of stdout."),
    out_dir: Path | None = typer.Option(
        None, "--out-dir", help="Also write sip.json and sip-junit.xml into DIR (as `centrex run --sip`)."
    ),
    sample: int | None = typer.Option(
        None, "--sample", help="Register only N accounts (reproducible sample)."
    ),
    tenant: str | None = _TENANT,
    run_dir: Path | None = _RUN_DIR,
    start: bool = typer.Option(
        False, "--start", help="Start a PBX for the duration instead of using the running one."
    ),
    demo: bool = typer.Option(
        False, "--demo", help="With --start: the demo inventory instead of the database."
    ),
    db: str | None = options.DB,
    transport: str = typer.Option(
        "udp", "--transport", help="udp, tcp, tls or all: where the registration and channel checks run."
    ),
    inter_tenant: InterTenant | None = typer.Option(
        None,
        "--inter-tenant",
        help="With --start: whose channels a call between two tenants takes, both (default) or caller. A "
        "running PBX keeps the choice it was started with (`pbx up --inter-tenant`); the check expects it.",
    ),
) -> None:
    """Registration (right/wrong password, unregister), channel limits (N up, N+1 refused, freed channel
    reusable; a call between two tenants takes the channels the PBX's --inter-tenant says), security
    (svwar finds nothing, malformed packets, unauthenticated INVITE, open relay; with
    tls: no plain TCP on the TLS port) and a pyVoIP phone. --db is read with --start only. Exit 1 when
    a check fails.

    Example: centrex sip check --transport all --sample 20 --format json
    """
    from contracts import atomic
    from sip import service

    report = service.sip_check(
        run_dir=run_dir,
        sample=sample,
        tenant=tenant,
        start=start,
        demo=demo,
        db_url=db,
        on_result=_print_result,
        transport=transport,
        out_dir=out_dir,
        inter_tenant=inter_tenant,
    )
    if fmt is ReportFormat.table and out is None:
        emit(
            report.rows(),
            Format.table,
            columns=["result", "name", "evidence"],
            title="sip check: " + ("PASSED" if report.passed else "FAILED"),
        )
    else:
        text = report.to_junit() if fmt is ReportFormat.junit else report.to_json() + "\n"
        if fmt is ReportFormat.table:
            text = "\n".join(f"{r['result']}\t{r['name']}\t{r['evidence']}" for r in report.rows()) + "\n"
        if out is not None:
            atomic.write_text(out, text)
            info(f"report written to {out}")
        else:
            sys.stdout.write(text)
    if not report.passed:
        raise typer.Exit(1)


@app.command("load")
def load(
    registrations: int = typer.Option(1000, "--registrations", help="Digest REGISTERs to send."),
    rate: float = typer.Option(0.0, "--rate", help="REGISTERs per second to offer (0: as fast as possible)."),
    calls: int = typer.Option(0, "--calls", help="Concurrent calls to set up across tenants, then hang up."),
    hold: float = typer.Option(0.0, "--hold", help="Seconds to hold the calls before hanging up."),
    concurrency: int = typer.Option(
        50, "--concurrency", help="Registration flows at once (each its own UA: Call-ID, rising CSeq)."
    ),
    transport: str = typer.Option("udp", "--transport", help="udp, tcp or tls."),
    timeout: float = typer.Option(
        32.0, "--timeout", help="Seconds to wait for a final response (RFC 3261 timer F: 64×T1)."
    ),
    tenant: str | None = _TENANT,
    run_dir: Path | None = _RUN_DIR,
    fmt: Format = options.FORMAT,
) -> None:
    """Drive registrations and concurrent calls; print what the PBX sustained, every REGISTER response
    code with its count, and whether the PBX's flood limit (pike) engaged (read from its log). Exit 1
    when any request failed or timed out, or a call was wrongly refused or over-admitted.

    Example: centrex sip load --registrations 2000 --rate 500 --calls 7
    """
    from sip import service

    result = service.sip_load(
        run_dir=run_dir,
        registrations=registrations,
        rate=rate,
        calls=calls,
        tenant=tenant,
        hold=hold,
        concurrency=concurrency,
        transport=transport,
        timeout=timeout,
    )
    if fmt is Format.table:
        rows = [{"field": k, "value": v} for k, v in result.items() if not isinstance(v, dict)]
        emit(rows, fmt, title="sip load")
        codes = result["register_codes"]
        emit(
            [{"code": code, "count": n} for code, n in codes.items()],  # type: ignore[union-attr]
            fmt,
            title="REGISTER final responses",
        )
    else:
        emit(result, fmt)
    if result["pike_engaged"]:
        info(
            f"the PBX's flood limit (pike) engaged: {result['pike_flood_drops']} requests dropped, "
            f"{result['pike_blocks']} blocks in its log; raise it with `pbx up --pike D/S` or `--no-pike`"
        )
    if not result["passed"]:
        info("sip load FAILED: some requests failed or timed out (see the response codes)")
        raise typer.Exit(1)


def register(root: typer.Typer) -> None:
    """Add the `sip` commands to the root app."""
    root.add_typer(app, name="sip")
