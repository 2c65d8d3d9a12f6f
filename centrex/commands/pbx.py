"""`centrex pbx up|status|down`: the local Kamailio test PBX generated from the inventory."""

from __future__ import annotations

from pathlib import Path

import typer

from centrex import options
from centrex.output import Format, emit, info
from sip.choices import DEFAULT_HOST, DEFAULT_PORT, InviteChallenge

app = typer.Typer(
    help="Run a local Kamailio test PBX generated from the inventory (loopback only).\n\n"
    "Example: centrex pbx up --demo && centrex sip check && centrex pbx down",
    no_args_is_help=True,
)

_RUN_DIR = options.RUN_DIR
_FMT = options.FORMAT


@app.command("up")
def up(
    port: int = typer.Option(DEFAULT_PORT, "--port", help="UDP port (0: any free port)."),
    host: str = typer.Option(
        DEFAULT_HOST, "--host", help="Address to listen on; loopback by default (another exposes the PBX)."
    ),
    demo: bool = typer.Option(
        False, "--demo", help="Serve a throwaway inventory (tenants with limits 2 and 5)."
    ),
    run_dir: Path | None = _RUN_DIR,
    db: str | None = typer.Option(None, "--db", help="Inventory database URL (default CENTREX_DB)."),
    invite_challenge: int = typer.Option(
        int(InviteChallenge.www),
        "--invite-challenge",
        help="Challenge INVITEs with 401 (pyVoIP-compatible) or 407.",
    ),
    fmt: Format = _FMT,
) -> None:
    """Generate the Kamailio configuration, start it in the background, wait until it answers OPTIONS.

    Example: centrex pbx up --demo --port 5070
    """
    from sip import service

    if invite_challenge not in (401, 407):
        from contracts.errors import InputError

        raise InputError("--invite-challenge must be 401 or 407", field="--invite-challenge")
    status = service.pbx_up(
        port=port, host=host, demo=demo, run_dir=run_dir, db_url=db, invite_challenge=invite_challenge
    )
    info(f"PBX up on {status['address']} (pid {status['pid']}); log {status['log']}")
    emit(status, fmt)


@app.command("status")
def status(run_dir: Path | None = _RUN_DIR, fmt: Format = _FMT) -> None:
    """Show whether the PBX runs, its pid and address, and whether it answers OPTIONS.

    Example: centrex pbx status --format json
    """
    from sip import service

    emit(service.pbx_status(run_dir), fmt)


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
