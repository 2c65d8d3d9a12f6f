"""Objectives of a sweep (`credits_owed_eur.allset.p95 <= 2000`) and the recommended point.

An objective names a measure by its path in a point's aggregate (summary.json's `aggregate`, which the
sweep extends with confidence intervals); it is parsed by a regular expression, never evaluated. The
recommendation is the point with the lowest value of the `--minimise` key among those meeting every
objective at the point estimate; its confidence intervals say how sure that is.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from contracts.errors import InputError

OPS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "<": operator.lt,
    ">": operator.gt,
}
_RX = re.compile(r"^\s*(\S+?)\s*(<=|>=|<|>)\s*(-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)\s*$")
# where the confidence interval of a leaf is kept beside it
CI_OF = {"mean": "ci95", "p50": "p50_ci95", "p95": "p95_ci95"}


@dataclass(frozen=True)
class Objective:
    """`path op bound` on a point's aggregate."""

    text: str
    path: tuple[str | int, ...]
    op: str
    bound: float

    def measure(self, aggregate: dict[str, Any]) -> tuple[float | None, list[float | None] | None]:
        """The measure's value at a point and its 95 % CI (None where there is no data or no CI)."""
        node: Any = aggregate
        for part in self.path[:-1]:
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict | list):
            return None, None
        leaf = self.path[-1]
        value = node[leaf] if isinstance(node, list) else node.get(leaf)
        ci = node.get(CI_OF.get(str(leaf), "")) if isinstance(node, dict) else None
        return (None if value is None else float(value)), ci

    def check(self, aggregate: dict[str, Any]) -> dict[str, Any]:
        """Value, CI, whether it is met at the point estimate, and whether the whole CI meets it."""
        value, ci = self.measure(aggregate)
        met = None if value is None else OPS[self.op](value, self.bound)
        certain = None
        if met is not None and ci is not None:
            lo, hi = ci
            worst = hi if self.op in ("<=", "<") else lo  # the end of the CI nearest to failing
            certain = worst is not None and OPS[self.op](worst, self.bound)
        return {"objective": self.text, "value": value, "ci95": ci, "met": met, "certain": certain}


def parse_objective(text: str, template: dict[str, Any]) -> Objective:
    """Parse `PATH OP NUMBER`, PATH checked against the shape of a point's aggregate (`template`)."""
    m = _RX.match(text)
    if not m:
        raise InputError(
            f"{text!r}: write MEASURE OP NUMBER, OP one of <= < >= > "
            "(e.g. 'credits_owed_eur.allset.p95 <= 2000')",
            field="--objective",
        )
    dotted, op, number = m.groups()
    bound = float(number)
    path: list[str | int] = []
    node: Any = template
    for part in dotted.split("."):
        here = ".".join(map(str, path)) or "the aggregate"
        if isinstance(node, dict) and part in node:
            path.append(part)
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            path.append(int(part))
            node = node[int(part)]
        else:
            if not isinstance(node, dict | list):
                raise InputError(f"{dotted}: {here} is a number, it has no {part!r}", field="--objective")
            known = ", ".join(map(str, node)) if isinstance(node, dict) else f"indexes 0–{len(node) - 1}"
            raise InputError(f"{dotted}: unknown {part!r} under {here} (known: {known})", field="--objective")
    if not isinstance(node, int | float) or isinstance(node, bool):
        raise InputError(
            f"{dotted}: not a number but a group of measures; name one of them", field="--objective"
        )
    if not math.isfinite(bound):
        raise InputError(f"{number}: not a finite number", field="--objective")
    return Objective(text.strip(), tuple(path), op, bound)


def recommend(
    points: Sequence[dict[str, Any]], objectives: Sequence[Objective], minimise: str
) -> dict[str, Any]:
    """The point with the lowest `minimise` value meeting every objective; else the closest miss (the
    smallest relative shortfall, then the lowest `minimise` value)."""
    meeting = [p for p in points if all(c["met"] for c in p["objectives"])]
    rec: dict[str, Any] = {"minimise": minimise, "objectives": [o.text for o in objectives]}
    if meeting:
        best = min(meeting, key=lambda p: (p["values"][minimise], p["point"]))
        return {
            **rec,
            "met": True,
            "point": best["point"],
            "values": best["values"],
            "checks": best["objectives"],
        }
    closest = min(
        points, key=lambda p: (_shortfall(p["objectives"], objectives), p["values"][minimise], p["point"])
    )
    return {
        **rec,
        "met": False,
        "point": None,
        "closest": closest["point"],
        "values": closest["values"],
        "checks": closest["objectives"],
    }


def _shortfall(checks: Sequence[dict[str, Any]], objectives: Sequence[Objective]) -> float:
    """How far a point misses its objectives: the largest miss relative to the bound."""
    worst = 0.0
    for c, o in zip(checks, objectives, strict=True):
        if c["value"] is None:
            return math.inf
        if not c["met"]:
            worst = max(worst, abs(c["value"] - o.bound) / (abs(o.bound) or 1.0))
    return worst


def _num(v: float | None) -> str:
    if v is None:
        return "unbounded"
    return f"{v:,.2f}" if abs(v) >= 1000 else f"{v:.6g}"


def _label(values: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in values.items())


def recommendation_lines(rec: dict[str, Any], replications: int) -> list[str]:
    """The recommendation as the lines the terminal prints."""
    objectives = " and ".join(rec["objectives"])
    if rec["met"]:
        lines = [
            f"recommendation: {_label(rec['values'])} (point {rec['point']}): the lowest {rec['minimise']} "
            f"that meets {objectives}"
        ]
    else:
        lines = [
            f"no point meets {objectives}; the closest is {_label(rec['values'])} (point {rec['closest']})"
        ]
    for c in rec["checks"]:
        ci = c["ci95"]
        where = (
            "" if ci is None else f" (95 % CI {_num(ci[0])} – {_num(ci[1])} from {replications} replications)"
        )
        if c["value"] is None:
            lines.append(f"  {c['objective']}: no value at this point")
            continue
        verdict = "met" if c["met"] else "not met"
        if c["met"] and c["certain"] is False:
            verdict += ", but the CI crosses the bound: more replications would settle it"
        lines.append(f"  {c['objective']}: {_num(c['value'])}{where}: {verdict}")
    return lines
