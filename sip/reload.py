"""Make a running PBX follow the inventory without a restart, through Kamailio's own mechanisms.

Accounts: `auth_db` reads the subscriber table of the run's pbx.sqlite at every request, so rewriting
the rows (one transaction, on the live file) is enough. Tenants (domain, channel limit, realm
buckets): htables, refreshed with the `htable.reload` RPC over the control FIFO. Bindings of accounts
that are gone (deleted or disabled) are removed with `ul.rm`, so they stop receiving calls at once.
"""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from contracts import atomic
from contracts.errors import StateError
from sip import control, registry
from sip.inventory import PbxInventory, canonical_db, load_inventory
from sip.pbx import (
    DB_FILE,
    FIFO_FILE,
    HTABLES,
    INVENTORY_FILE,
    fill_tables,
    pid_alive,
    read_state,
    write_state,
)


def reload(run_dir: str | Path, inventory: PbxInventory | None = None) -> dict[str, object]:
    """Serve `inventory` (default: re-read from the database the PBX was started from) from now on."""
    run = Path(run_dir).resolve()
    state = read_state(run)
    if state is None or not pid_alive(state.pid, run):
        raise StateError(f"no PBX is running from {run}; start one with `centrex pbx up`")
    if inventory is None:
        if state.inventory_db is None:
            raise StateError(
                f"the PBX of {run} serves a given inventory (--demo), not a database: nothing to reload"
            )
        inventory = load_inventory(state.inventory_db)
    old = PbxInventory.from_json((run / INVENTORY_FILE).read_text())
    con = sqlite3.connect(run / DB_FILE, timeout=30, isolation_level=None)
    try:
        con.execute("BEGIN IMMEDIATE")
        try:
            fill_tables(con, inventory)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    finally:
        con.close()
    fifo = run / FIFO_FILE
    for table in HTABLES:
        control.rpc(fifo, "htable.reload", table)
    before = {(a.username, old.domain_of(a)): a.ha1 for a in old.accounts}
    after = {(a.username, inventory.domain_of(a)): a.ha1 for a in inventory.accounts}
    removed = sorted(set(before) - set(after))
    for user, domain in removed:
        with contextlib.suppress(StateError):  # "AOR not found": it was not registered
            control.rpc(fifo, "ul.rm", "location", f"{user}@{domain}")
    atomic.write_text(run / INVENTORY_FILE, inventory.to_json(), mode=0o600)
    write_state(
        run,
        replace(
            state,
            tenants=len(inventory.tenants),
            accounts=len(inventory.accounts),
            loaded_at=datetime.now(UTC).isoformat(),
        ),
    )
    return {
        "run_dir": str(run),
        "tenants": len(inventory.tenants),
        "accounts": len(inventory.accounts),
        "added": len(set(after) - set(before)),
        "removed": len(removed),
        "changed": sum(1 for k in set(after) & set(before) if after[k] != before[k]),
    }


def running_from(db_url: str | None) -> list[Path]:
    """Run directories of the PBXs running on this machine that were started from `db_url`."""
    wanted = canonical_db(db_url)
    out = []
    for run in registry.run_dirs():
        state = read_state(run) if run.exists() else None
        if state is None or not pid_alive(state.pid, run):
            registry.forget(run)
            continue
        if state.inventory_db is not None and canonical_db(state.inventory_db) == wanted:
            out.append(run)
    return out


def reload_after_change(db_url: str | None, run_dirs: list[Path] | None = None) -> list[dict[str, object]]:
    """After an inventory change: reload the given PBXs, or every PBX started from `db_url`.

    The change is committed already: a PBX that cannot be reloaded is reported (`error`), not raised."""
    out: list[dict[str, object]] = []
    for run in run_dirs if run_dirs else running_from(db_url):
        try:
            out.append(reload(run))
        except StateError as exc:
            out.append({"run_dir": str(Path(run).resolve()), "error": str(exc)})
    return out
