"""What every section of the report is made of (tables, plots) and the helpers they share: number
formats, percentiles, and the contract profiles of the run with the choices it recorded."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from centrex.report.rundir import Run
from contracts.errors import InputError
from contracts.profile import Profile, load_profile

SMALL = 540  # width of a small-multiple chart (two side by side)


@dataclass
class Table:
    """A table of the report: a caption, column headers, rows of display strings."""

    id: str
    caption: str
    columns: list[str]
    rows: list[list[str]]
    numeric: set[int] = field(default_factory=set)


@dataclass
class Section:
    """One section of the report: what it shows (intro), its plots (SVG) and tables."""

    id: str
    title: str
    intro: str
    plots: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    pre: str | None = None
    grid: list[str] = field(default_factory=list)  # small multiples, drawn side by side


def eur(x: float) -> str:
    """Euros with thousands separators and cents."""
    return f"{x:,.2f} €"


def pct(x: float, digits: int = 3) -> str:
    """A percentage, trailing zeros kept so columns line up."""
    return f"{x:.{digits}f} %"


def hours(minutes: float) -> str:
    """Minutes shown as hours with one decimal."""
    return f"{minutes / 60:,.1f} h"


def percentiles(values: Sequence[float]) -> tuple[float, float]:
    """P50 and P95 (linear interpolation between order statistics, numpy's default)."""
    p50, p95 = np.percentile(np.asarray(values, dtype=float), [50, 95])
    return float(p50), float(p95)


def profiles_in_force(run: Run) -> dict[str, Profile]:
    """Load each profile of the run with the choices recorded in `sla.json` (or its defaults)."""
    loaded = {}
    for name in run.profiles:
        prov = run.sla["provenance"].get(name) or {}
        choices = prov.get("choices") or run.summary.get("choices", {}).get(name) or {}
        try:
            loaded[name] = load_profile(prov.get("profile", name), dict(choices))
        except InputError as exc:
            raise InputError(
                f"profile {name!r} of the run cannot be loaded: {exc}",
                file=str(run.path / "sla.json"),
                field=f"provenance.{name}",
            ) from None
    return loaded


def objective_pct(profile: Profile) -> float | None:
    """The availability objective of a profile in percent, or None (no availability objective)."""
    value = profile.sla_terms().objectives.availability_pct
    return None if value is None else float(value)
