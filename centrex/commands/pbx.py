"""`centrex pbx` commands (placeholder until its issue lands)."""

from __future__ import annotations

import typer


def register(root: typer.Typer) -> None:
    """Add the `pbx` commands to the root app."""
