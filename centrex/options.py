"""The options several commands share, each defined once (a command's own options stay in its module)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from centrex.output import Format

if TYPE_CHECKING:
    from contracts.tables import ColumnMap

FORMAT = typer.Option(Format.table, "--format", "-f", help="table, json or csv.")
SET = typer.Option([], "--set", metavar="KEY=VALUE", help="Flip a contract choice: key=value (repeatable).")
CONTRACT = typer.Option(
    ..., "--contract", "-c", help="Contract profile: alleo, allset, progetcom, allocloud or a YAML path."
)


def contract(default: str, help: str) -> Any:
    """`--contract` where a command has a default profile (its help says why that one)."""
    return typer.Option(default, "--contract", "-c", help=help)


# Simulation runs (run, sweep).
WORKERS = typer.Option(None, "--workers", "-w", help="Worker processes (default: one per core).")
SCHEDULER = typer.Option(
    None, "--scheduler", help="Dask distributed scheduler address, e.g. tcp://10.0.0.5:8786."
)

# The inventory database and its audit trail (numbers, port, inventory, db).
DB_HELP = (
    "Inventory database: a file path or a URL (sqlite:///… or postgresql://…); "
    "default $CENTREX_DB, else centrex.db."
)
DB = typer.Option(None, "--db", envvar="CENTREX_DB", help=DB_HELP)
BY = typer.Option(None, "--by", help="Who acts, for the audit trail (default: $CENTREX_USER or login).")
TODAY = typer.Option(None, "--today", help="Date of the action YYYY-MM-DD (default: today in Paris).")

# The local test PBX (pbx, sip).
RUN_DIR = typer.Option(
    None,
    "--run-dir",
    help="Run directory of the PBX (config, data, log, pid); default CENTREX_PBX_DIR or runs/pbx.",
)

# `--columns`: a real export's column names mapped to ours, on every command that reads a CSV table.
COLUMNS = typer.Option(
    None,
    "--columns",
    metavar="COL=HEADER,…|FILE.yaml",
    help='Read an export with its own column names: ticket=Numéro,notified_at="Ouvert le" '
    "(our name = its header), or a YAML file of such pairs (flat, or by table: incidents:, billing:, …).",
)


def column_map(text: str | None) -> ColumnMap:
    """The mapping given by `--columns` (empty when absent)."""
    from contracts.tables import ColumnMap

    return ColumnMap.parse(text)
