"""The options several commands share, each defined once (a command's own options stay in its module)."""

from __future__ import annotations

from typing import Any

import typer

from centrex.output import Format

FORMAT = typer.Option(Format.table, "--format", "-f", help="table, json or csv.")
SET = typer.Option([], "--set", metavar="KEY=VALUE", help="Flip a contract choice: key=value (repeatable).")
CONTRACT = typer.Option(
    ..., "--contract", "-c", help="Contract profile: alleo, allset, progetcom, allocloud or a YAML path."
)


def contract(default: str, help: str) -> Any:
    """`--contract` where a command has a default profile (its help says why that one)."""
    return typer.Option(default, "--contract", "-c", help=help)


# The inventory database and its audit trail (numbers, port, inventory, db).
DB = typer.Option(
    None,
    "--db",
    envvar="CENTREX_DB",
    help="Database: a SQLite file path (default centrex.db) or postgresql://…",
)
BY = typer.Option(None, "--by", help="Who acts, for the audit trail (default: $CENTREX_USER or login).")
TODAY = typer.Option(None, "--today", help="Date of the action YYYY-MM-DD (default: today in Paris).")

# The local test PBX (pbx, sip).
RUN_DIR = typer.Option(
    None,
    "--run-dir",
    help="Run directory of the PBX (config, data, log, pid); default CENTREX_PBX_DIR or runs/pbx.",
)
