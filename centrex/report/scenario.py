"""The scenario section: the choices that differ from the defaults, the fleet, every parameter."""

from __future__ import annotations

import json
from typing import Any

from centrex.report.common import Section, Table
from centrex.report.rundir import Run
from contracts.profile import Profile


# ----- scenario parameters and choices -----------------------------------------------------------------
def flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Flatten nested mappings to (dotted.key, value) pairs; lists of scalars stay on one line."""
    if isinstance(value, dict):
        out = []
        for k, v in value.items():
            out += flatten(v, f"{prefix}.{k}" if prefix else str(k))
        return out
    if isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        out = []
        for i, v in enumerate(value):
            out += flatten(v, f"{prefix}[{i}]")
        return out
    return [(prefix, json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value)]


def _value(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _record_tables(resolved: dict[str, Any]) -> list[Table]:
    """A table for each top-level list of records of the scenario (site groups…): the fleet at a glance."""
    tables = []
    for key, value in resolved.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            columns = list(dict.fromkeys(k for v in value for k in v))
            rows = [[_value(v.get(c, "")) for c in columns] for v in value]
            tables.append(Table(f"table-scenario-{key}", key.replace("_", " "), columns, rows))
    return tables


def scenario(run: Run, profiles: dict[str, Profile]) -> Section:
    """The scenario as validated (defaults filled), the profiles' files and the choices in force."""
    params = [[k, v] for k, v in flatten(run.resolved)]
    choice_rows, changed = [], []
    for name in run.profiles:
        prov = run.sla["provenance"].get(name) or {}
        profile = profiles[name]
        for key, value in sorted(profile.choices.items()):
            spec = profile.choice_specs.get(key)
            default = spec is not None and value == spec.default
            row = [name, key, _value(value), "default" if default else "changed", spec.clause if spec else ""]
            choice_rows.append(row)
            if not default:
                changed.append([name, key, _value(value), _value(spec.default) if spec else "", row[4]])
        choice_rows.append([name, "sha256", str(prov.get("sha256", profile.sha256))[:16] + "…", "", ""])
    if not changed:
        changed = [["every profile", "—", "defaults", "", "CONTRACTS.md §14"]]
    return Section(
        "scenario",
        "Scenario parameters and choices",
        f"Scenario {run.summary['scenario']!r}, seed {run.summary['seed']}, "
        f"{run.summary['replications']} replications. The contract readings (CONTRACTS.md §14) that differ "
        "from the profiles' defaults, the fleet, then every parameter of the validated scenario (defaults "
        "filled in) and every choice in force.",
        [],
        [
            Table(
                "table-choices-changed",
                "Choices changed from the defaults",
                ["profile", "choice", "value", "default", "clause"],
                changed,
            ),
            *_record_tables(run.resolved),
            Table("table-scenario", "Parameters", ["parameter", "value"], params),
            Table(
                "table-choices",
                "Contract choices in force",
                ["profile", "choice", "value", "", "clause"],
                choice_rows,
            ),
        ],
        pre=run.scenario_yaml,
    )
