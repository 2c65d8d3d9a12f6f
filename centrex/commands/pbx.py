"""`centrex pbx up|status|down`: the local Kamailio test PBX generated from the inventory."""

from __future__ import annotations

from pathlib import Path

import typer

from centrex import options
from centrex.output import Format, emit, info, warn
from sip.choices import (
    DEFAULT_HOST,
    DEFAULT_PIKE_DENSITY,
    DEFAULT_PIKE_UNIT_S,
    DEFAULT_PORT,
    InterTenant,
    InviteChallenge,
)

app = typer.Typer(
    help="Run a local Kamailio test PBX generated from the inventory (loopback only).\n\n"
    "Example: centrex pbx up --demo && centrex sip check && centrex pbx down",
    no_args_is_help=True,
)

_RUN_DIR = options.RUN_DIR
_FMT = options.FORMAT
INTER_TENANT = typer.Option(
    InterTenant.both,
    "--inter-tenant",
    help="Whose channels a call between two tenants takes: both (the caller's and the callee's) or "
    "caller (only the caller's). A call inside one tenant takes one channel either way.",
)


def _emit_record(record: dict[str, object], fmt: Format, title: str) -> None:
    """One record: a two-column table (field, value) on a terminal, the object itself in JSON/CSV."""
    if fmt is Format.table:
        emit([{"field": k, "value": v} for k, v in record.items()], fmt, title=title)
    else:
        emit(record, fmt)


@app.command("up")
def up(
    port: int | None = typer.Option(
        None,
        "--port",
        help=f"SIP port, UDP and TCP (0: any free port). Default {DEFAULT_PORT}, or a free port when "
        f"{DEFAULT_PORT} is taken (said on stderr; recorded for `sip check` and `pbx down`).",
    ),
    tls_port: int = typer.Option(0, "--tls-port", help="TLS port (default 0: any free port)."),
    host: str = typer.Option(
        DEFAULT_HOST, "--host", help="Address to listen on; loopback by default (another exposes the PBX)."
    ),
    demo: bool = typer.Option(
        False, "--demo", help="Serve a throwaway inventory (tenants with limits 2 and 5)."
    ),
    run_dir: Path | None = _RUN_DIR,
    db: str | None = options.DB,
    invite_challenge: int = typer.Option(
        int(InviteChallenge.www),
        "--invite-challenge",
        help="Challenge INVITEs with 401 (pyVoIP-compatible) or 407.",
    ),
    pike: str | None = typer.Option(
        None,
        "--pike",
        help=f"Flood limit per source IP, DENSITY/SECONDS (default {DEFAULT_PIKE_DENSITY}/"
        f"{DEFAULT_PIKE_UNIT_S}): past it the IP is blocked and its requests dropped unanswered.",
    ),
    no_pike: bool = typer.Option(
        False, "--no-pike", help="No flood limit (load tests on loopback, where every client is 127.0.0.1)."
    ),
    inter_tenant: InterTenant = INTER_TENANT,
    fmt: Format = _FMT,
) -> None:
    """Generate the Kamailio configuration, start it in the background, wait until it answers OPTIONS.

    Listens on UDP and TCP (--port) and TLS (--tls-port, a throwaway CA per run). Example:
    centrex pbx up --db centrex.db && centrex sip check --transport all && centrex pbx down
    """
    from sip import service

    if invite_challenge not in (401, 407):
        from contracts.errors import InputError

        raise InputError("--invite-challenge must be 401 or 407", field="--invite-challenge")
    status = service.pbx_up(
        port=port,
        host=host,
        demo=demo,
        run_dir=run_dir,
        db_url=None if demo else db,
        invite_challenge=invite_challenge,
        pike=pike,
        no_pike=no_pike,
        tls_port=tls_port,
        inter_tenant=inter_tenant,
        on_note=info,
    )
    info(
        f"PBX up on udp/tcp {status['address']}, tls {status['tls']} (pid {status['pid']}, "
        f"pike {status['pike']}, inter-tenant {status['inter_tenant']}); log {status['log']}"
    )
    _emit_record(status, fmt, "test PBX")


@app.command("status")
def status(run_dir: Path | None = _RUN_DIR, fmt: Format = _FMT) -> None:
    """Show whether the PBX runs, its addresses, whether it answers OPTIONS, and what it serves now
    (accounts and tenants in its own tables, registrations, when the inventory was loaded).

    Example: centrex pbx status --format json
    """
    from sip import service

    _emit_record(service.pbx_status(run_dir), fmt, "test PBX")


@app.command("reload")
def reload(run_dir: Path | None = _RUN_DIR, fmt: Format = _FMT) -> None:
    """Re-read the inventory database the PBX was started from and serve it now (no restart).

    Inventory commands do this by themselves for every PBX started from their database.
    Example: centrex pbx reload --run-dir runs/pbx
    """
    from sip import service

    _emit_record(service.pbx_reload(run_dir), fmt, "reloaded")


def announce_reload(db_url: str | None, run_dirs: list[Path] | None) -> None:
    """After an inventory change: reload the PBXs of `run_dirs`, or every PBX started from `db_url`,
    and say so on stderr (for the inventory commands)."""
    from sip import service

    for done in service.reload_after_change(db_url, run_dirs):
        if "error" in done:
            warn(f"PBX {done['run_dir']} not reloaded: {done['error']}")
            continue
        info(
            f"PBX {done['run_dir']} reloaded: {done['accounts']} accounts, {done['tenants']} tenants "
            f"(+{done['added']} −{done['removed']} ~{done['changed']})"
        )


RELOAD_OPTION = typer.Option(
    None,
    "--run-dir",
    help="Reload the PBX of this run directory (repeatable); default: every running PBX started "
    "from this database.",
)


@app.command("down")
def down(run_dir: Path | None = _RUN_DIR, fmt: Format = _FMT) -> None:
    """Stop the PBX (SIGTERM to its process group, SIGKILL after 5 s).

    Example: centrex pbx down
    """
    from sip import service

    emit(service.pbx_down(run_dir), fmt)


def register(root: typer.Typer) -> None:
    """Add the `pbx` commands to the root app."""
    root.add_typer(app, name="pbx")
