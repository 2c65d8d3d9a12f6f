"""`--vary KEY=VALUES`: the what-if points of a sweep, the full grid, each point validated before any run.

`KEY` is a dotted path into the scenario as the validator reports paths (`site_groups.0.backup_link`); a
list item can be named instead of indexed (`site_groups.alleo-paris.backup_link`, `storms.atlantic-storm`).
`VALUES` is a comma-separated list of YAML scalars and ranges: `1..6` (integers, both ends included) and
`0.1:0.9:0.2` (start:stop:step, stop included when it falls on the grid).
"""

from __future__ import annotations

import copy
import itertools
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from contracts.errors import InputError
from sim.run import overrides
from sim.scenario import Scenario, read_value, read_yaml, validate_data

MAX_POINTS = 1000  # a typo such as 1..100000 is refused before anything runs
# Sweep-level settings, not what-if keys: every point shares the seed (common random numbers).
FIXED = {"name": "the sweep's name", "seed": "--seed", "replications": "--replications"}
_INT_RANGE = re.compile(r"^(-?\d+)\.\.(-?\d+)$")
_NUM = r"-?\d+(?:\.\d+)?"
_STEP_RANGE = re.compile(rf"^({_NUM}):({_NUM}):({_NUM})$")


@dataclass(frozen=True)
class Vary:
    """One `--vary`: the key as given, its path with indexes, its values in order."""

    key: str
    path: tuple[str | int, ...]
    values: tuple[Any, ...]

    @property
    def field(self) -> str:
        return f"--vary {self.key}"


@dataclass(frozen=True)
class Point:
    """One point of the grid: the values of the varied keys and the validated scenario."""

    index: int
    values: dict[str, Any]
    scenario: Scenario
    data: dict[str, Any]  # the point's scenario data (a kept point's scenario.yaml)

    @property
    def label(self) -> str:
        return ", ".join(f"{k}={_show(v)}" for k, v in self.values.items())


def _show(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def parse_values(text: str, field: str) -> tuple[Any, ...]:
    """The values of one `--vary` (after `=`): scalars and ranges, in order, none repeated."""
    out: list[Any] = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            raise InputError("an empty value (two commas, or nothing after '=')", field=field)
        out.extend(_item(item, field))
    seen: list[Any] = []
    for v in out:
        if any(type(v) is type(s) and v == s for s in seen):
            raise InputError(f"value {_show(v)} is given twice", field=field)
        seen.append(v)
    return tuple(out)


def _item(item: str, field: str) -> list[Any]:
    m = _INT_RANGE.match(item)
    if m:
        a, b = int(m.group(1)), int(m.group(2))
        if a > b:
            raise InputError(f"range {item}: start is after the end", field=field)
        if b - a >= MAX_POINTS:
            raise InputError(f"range {item}: more than {MAX_POINTS} values", field=field)
        return list(range(a, b + 1))
    m = _STEP_RANGE.match(item)
    if m:
        start, stop, step = (Decimal(g) for g in m.groups())
        if step <= 0:
            raise InputError(f"range {item}: the step must be positive", field=field)
        if start > stop:
            raise InputError(f"range {item}: start is after stop", field=field)
        if (stop - start) / step >= MAX_POINTS:
            raise InputError(f"range {item}: more than {MAX_POINTS} values", field=field)
        whole = all("." not in g for g in m.groups())
        n = int((stop - start) / step)  # exact in Decimal: stop is included when on the grid
        return [int(x) if whole else float(x) for x in (start + k * step for k in range(n + 1))]
    try:
        value = read_value(item)
    except yaml.YAMLError:
        raise InputError(f"cannot read value {item!r}", field=field) from None
    if isinstance(value, dict | list):
        raise InputError(
            f"value {item!r}: only single values (numbers, words, true/false, null)", field=field
        )
    return [value]


def resolve(key: str, data: dict[str, Any], field: str) -> tuple[str | int, ...]:
    """The path of `key` in the scenario data: list items by index or by their `name`."""
    parts = key.split(".")
    if any(not p for p in parts):
        raise InputError("an empty part in the dotted key", field=field)
    if parts[0] in FIXED:
        raise InputError(f"not a what-if key: set it with {FIXED[parts[0]]}", field=field)
    node: Any = data
    path: list[str | int] = []
    for depth, part in enumerate(parts):
        where = ".".join(map(str, path)) or "the scenario"
        if isinstance(node, list):
            names = [x.get("name") for x in node if isinstance(x, dict)]
            if part.isdigit() and int(part) < len(node):
                idx = int(part)
            elif part in names:
                idx = names.index(part)
            else:
                known = ", ".join(str(n) for n in names if n is not None)
                raise InputError(
                    f"{where} has no item {part!r} (indexes 0–{len(node) - 1}"
                    + (f", or a name: {known})" if known else ")"),
                    field=field,
                )
            path.append(idx)
            node = node[idx]
        elif isinstance(node, dict) or node is None:
            path.append(part)
            node = node.get(part) if isinstance(node, dict) else None
        else:
            raise InputError(f"{where} is a single value: it has no key {parts[depth]!r}", field=field)
    return tuple(path)


def parse_vary(spec: str, data: dict[str, Any]) -> Vary:
    """One `--vary KEY=V1,V2,…` against the scenario data."""
    key, eq, text = spec.partition("=")
    key = key.strip()
    if not eq or not key:
        raise InputError(f"{spec!r}: write KEY=V1,V2,… (e.g. repair.crews.sud-est=1,2,3)", field="--vary")
    field = f"--vary {key}"
    return Vary(key, resolve(key, data, field), parse_values(text, field))


def _set(data: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    node: Any = data
    for part in path[:-1]:
        if isinstance(node, dict) and node.get(part) is None:
            node[part] = {}
        node = node[part]
    node[path[-1]] = value


def build_grid(
    path: str | Path, specs: list[str], *, replications: int | None = None, seed: int | None = None
) -> tuple[Scenario, list[Vary], list[Point]]:
    """The base scenario, the `--vary`s and every point of their grid, all validated.

    A bad key or value is one InputError: the `--vary` it comes from, or the scenario's file, line and key
    path with the point that makes it invalid. Nothing runs before the whole grid is valid.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"cannot read scenario: {exc.strerror}", file=str(p)) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason})", file=str(p)) from None
    data, root = read_yaml(text, str(p))
    data.setdefault("name", p.stem)
    base = overrides(validate_data(copy.deepcopy(data), str(p), root), replications, seed)
    if not specs:
        raise InputError("give at least one --vary KEY=V1,V2,…", field="--vary")
    varies = [parse_vary(s, data) for s in specs]
    for a, b in itertools.combinations(varies, 2):
        if a.path[: len(b.path)] == b.path[: len(a.path)]:
            raise InputError(f"varies the same setting as --vary {a.key}", field=b.field)
    combos = list(itertools.product(*(v.values for v in varies)))
    if len(combos) > MAX_POINTS:
        raise InputError(f"{len(combos):,} points: at most {MAX_POINTS:,} in one sweep", field="--vary")
    points = []
    for k, combo in enumerate(combos):
        d = copy.deepcopy(data)
        for v, value in zip(varies, combo, strict=True):
            _set(d, v.path, value)
        values = {v.key: value for v, value in zip(varies, combo, strict=True)}
        try:
            s = validate_data(copy.deepcopy(d), str(p), root)
        except InputError as exc:
            label = ", ".join(f"{key}={_show(x)}" for key, x in values.items())
            raise InputError(
                f"{exc.reason} (sweep point {label})", file=exc.file, line=exc.line, field=exc.field
            ) from None
        s = s.model_copy(update={"replications": base.replications, "seed": base.seed})
        points.append(Point(k, values, s, d))
    return base, varies, points
