"""`centrex bill` commands (placeholder until its issue lands)."""

from __future__ import annotations

import typer


def register(root: typer.Typer) -> None:
    """Add the `bill` commands to the root app."""
