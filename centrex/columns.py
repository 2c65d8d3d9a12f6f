"""`--columns`: a real export's column names mapped to ours, on every command that reads a CSV table."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from contracts.tables import ColumnMap

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
