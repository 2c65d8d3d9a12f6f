"""One domain function per `centrex pbx …` / `centrex sip …` command (the CLI only parses and prints)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from sip import pbx as pbx_mod
from sip.checks import Target, run_checks
from sip.choices import DEFAULT_RUN_DIR, InviteChallenge
from sip.inventory import PbxInventory, demo_inventory, load_inventory
from sip.load import run_load
from sip.pbx import PbxSettings
from sip.report import CheckResult, Report


def default_run_dir() -> Path:
    """CENTREX_PBX_DIR, else runs/pbx under the current directory."""
    return Path(os.environ.get("CENTREX_PBX_DIR", DEFAULT_RUN_DIR))


def inventory_for(demo: bool, db_url: str | None) -> PbxInventory:
    """The demo inventory, or the provisioning database's (with at least one account)."""
    inventory = demo_inventory() if demo else load_inventory(db_url)
    inventory.require_accounts()
    return inventory


def pbx_up(
    *,
    port: int,
    demo: bool,
    run_dir: Path | None,
    db_url: str | None = None,
    host: str = "127.0.0.1",
    invite_challenge: int = 401,
) -> dict[str, object]:
    """Start the test PBX (left running in the background) and return its status."""
    run = run_dir or default_run_dir()
    pbx_mod.kamailio_binary()
    inventory = inventory_for(demo, db_url)
    settings = PbxSettings(host=host, port=port, invite_challenge=InviteChallenge(invite_challenge))
    pbx = pbx_mod.start_pbx(inventory, run, settings)
    pbx.process = None  # it outlives this command: `centrex pbx down` stops it
    return pbx_mod.status(run)


def pbx_status(run_dir: Path | None) -> dict[str, object]:
    """Status of the PBX of `run_dir`."""
    return pbx_mod.status(run_dir or default_run_dir())


def pbx_down(run_dir: Path | None) -> dict[str, object]:
    """Stop the PBX of `run_dir`."""
    return pbx_mod.down(run_dir or default_run_dir())


def sip_check(
    *,
    run_dir: Path | None,
    sample: int | None,
    tenant: str | None,
    start: bool,
    demo: bool,
    db_url: str | None = None,
    on_result: Callable[[CheckResult], None] | None = None,
) -> Report:
    """Run every check against the running PBX, or against one started for the duration (`start`)."""
    if not start:
        pbx = pbx_mod.attach(run_dir or default_run_dir())
        return run_checks(Target.of(pbx), sample=sample, tenant=tenant, on_result=on_result)
    inventory = inventory_for(demo, db_url)
    if tenant is not None:
        inventory.tenant(tenant)
    with (
        tempfile.TemporaryDirectory(prefix="centrex-pbx-") as tmp,
        pbx_mod.start_pbx(inventory, Path(tmp) / "pbx", PbxSettings(port=0)) as pbx,
    ):
        return run_checks(Target.of(pbx), sample=sample, tenant=tenant, on_result=on_result)


def sip_load(
    *,
    run_dir: Path | None,
    registrations: int,
    rate: float,
    calls: int,
    tenant: str | None,
    hold: float = 0.0,
) -> dict[str, object]:
    """Drive load against the running PBX of `run_dir`."""
    pbx = pbx_mod.attach(run_dir or default_run_dir())
    return run_load(Target.of(pbx), registrations, rate, calls, tenant, hold)
