"""One domain function per `centrex pbx …` / `centrex sip …` command (the CLI only parses and prints)."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from contracts.errors import InputError
from sip import pbx as pbx_mod
from sip.checks import Target, run_checks
from sip.choices import DEFAULT_PIKE_UNIT_S, DEFAULT_PORT, DEFAULT_RUN_DIR, InterTenant, InviteChallenge
from sip.inventory import PbxInventory, demo_inventory, load_inventory, require_database
from sip.load import run_load
from sip.pbx import PbxSettings
from sip.report import CheckResult, Report
from sip.ua import TRANSPORTS


def default_run_dir() -> Path:
    """CENTREX_PBX_DIR, else runs/pbx under the current directory."""
    return Path(os.environ.get("CENTREX_PBX_DIR", DEFAULT_RUN_DIR))


def inventory_for(demo: bool, db_url: str | None) -> tuple[PbxInventory, str | None]:
    """The demo inventory, or the provisioning database's (with at least one account), and the
    canonical URL of that database (None for the demo). A missing SQLite file is an error, never
    created: a failed `pbx up` leaves no database behind."""
    if demo:
        inventory, source = demo_inventory(), None
    else:
        source = require_database(db_url)
        inventory = load_inventory(source)
    inventory.require_accounts()
    return inventory, source


def parse_pike(text: str | None, off: bool) -> tuple[int | None, int]:
    """`DENSITY/SECONDS` (e.g. 20000/2) -> (density, seconds); `off` -> (None, default unit)."""
    if off:
        if text is not None:
            raise InputError("give --pike or --no-pike, not both", field="--pike")
        return None, DEFAULT_PIKE_UNIT_S
    if text is None:
        return PbxSettings().pike_density, DEFAULT_PIKE_UNIT_S
    density, slash, seconds = text.partition("/")
    if not (slash and density.isdigit() and seconds.isdigit() and int(density) > 0 and int(seconds) > 0):
        raise InputError(
            f"--pike {text!r}: expected DENSITY/SECONDS with positive integers, e.g. 20000/2", field="--pike"
        )
    return int(density), int(seconds)


def pbx_up(
    *,
    port: int | None,
    demo: bool,
    run_dir: Path | None,
    db_url: str | None = None,
    host: str = "127.0.0.1",
    invite_challenge: int = 401,
    pike: str | None = None,
    no_pike: bool = False,
    tls_port: int = 0,
    inter_tenant: InterTenant = InterTenant.both,
    on_note: Callable[[str], None] | None = None,
) -> dict[str, object]:
    """Start the test PBX (left running in the background) and return its status.

    Without `port`, the default port is used when free, else any free port (said through
    `on_note`); the port in use is recorded in the run directory for `sip check` and `pbx down`."""
    run = run_dir or default_run_dir()
    pbx_mod.kamailio_binary()
    density, unit = parse_pike(pike, no_pike)
    inventory, source = inventory_for(demo, db_url)
    chosen = port
    if chosen is None:
        busy = pbx_mod.port_in_use(host, DEFAULT_PORT)
        chosen = 0 if busy else DEFAULT_PORT
        if busy and on_note is not None:
            on_note(f"{busy}: using a free port instead (recorded in {run}/pbx.json)")
    settings = PbxSettings(
        host=host,
        port=chosen,
        tls_port=tls_port,
        invite_challenge=InviteChallenge(invite_challenge),
        pike_density=density,
        pike_unit_s=unit,
        inter_tenant=inter_tenant,
    )
    pbx = pbx_mod.start_pbx(inventory, run, settings, inventory_db=source)
    pbx.process = None  # it outlives this command: `centrex pbx down` stops it
    return pbx_mod.status(run)


def pbx_reload(run_dir: Path | None) -> dict[str, object]:
    """Re-read the inventory database of the PBX of `run_dir` and serve it from now on."""
    from sip.reload import reload

    return reload(run_dir or default_run_dir())


def reload_after_change(db_url: str | None, run_dirs: list[Path] | None = None) -> list[dict[str, object]]:
    """After an inventory command: reload the PBXs named, or every PBX started from `db_url`."""
    from sip.reload import reload_after_change as reload_all

    return reload_all(db_url, run_dirs)


def transports_of(choice: str) -> tuple[str, ...]:
    """`udp`, `tcp`, `tls` or `all` -> the transports to check."""
    if choice == "all":
        return TRANSPORTS
    if choice not in TRANSPORTS:
        raise InputError(f"--transport {choice!r}: expected udp, tcp, tls or all", field="--transport")
    return (choice,)


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
    transport: str = "udp",
    out_dir: Path | None = None,
    inter_tenant: InterTenant | None = None,
) -> Report:
    """Run every check against the running PBX, or against one started for the duration (`start`);
    registration and channel-limit checks run on each transport asked for. With `out_dir`, the
    results are also written there as sip.json and sip-junit.xml (as `centrex run --sip` does).
    `inter_tenant` configures the PBX started with `start` (default both); a running PBX keeps the
    choice it was started with, and asking another is an error rather than a check of the wrong rule."""
    from sip.fleet import FleetReport

    transports = transports_of(transport)
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        if start:
            inventory, source = inventory_for(demo, db_url)
            if tenant is not None:
                inventory.tenant(tenant)
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="centrex-pbx-"))
            pbx = stack.enter_context(
                pbx_mod.start_pbx(
                    inventory,
                    Path(tmp) / "pbx",
                    PbxSettings(port=0, inter_tenant=inter_tenant or InterTenant.both),
                    inventory_db=source,
                )
            )
        else:
            pbx = pbx_mod.attach(run_dir or default_run_dir())
            running = pbx.settings.inter_tenant
            if inter_tenant is not None and inter_tenant is not running:
                want = inter_tenant.value
                raise InputError(
                    f"--inter-tenant {want}: the running PBX was started with {running.value}; restart it "
                    f"with `centrex pbx up --inter-tenant {want}` or check with --start",
                    field="--inter-tenant",
                )
        report = run_checks(
            Target.of(pbx), sample=sample, tenant=tenant, on_result=on_result, transports=transports
        )
    if out_dir is not None:
        FleetReport(report, time.perf_counter() - started, transports).write(out_dir)
    return report


def sip_load(
    *,
    run_dir: Path | None,
    registrations: int,
    rate: float,
    calls: int,
    tenant: str | None,
    hold: float = 0.0,
    concurrency: int = 50,
    transport: str = "udp",
    timeout: float = 32.0,
) -> dict[str, object]:
    """Drive load against the running PBX of `run_dir` over one transport."""
    if transport not in TRANSPORTS:
        raise InputError(f"--transport {transport!r}: expected udp, tcp or tls", field="--transport")
    pbx = pbx_mod.attach(run_dir or default_run_dir())
    return run_load(Target.of(pbx, transport), registrations, rate, calls, tenant, hold, concurrency, timeout)
