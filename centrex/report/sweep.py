"""The sweep page (sweep.html): one chart per measure against the varied key(s), with CIs, and a table.

Drawn from the sweep.json object alone, with the report's inline SVG charts and layout (offline, no
script, same bytes for the same sweep).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from centrex import plots
from centrex.report.common import SMALL, Section, Table, eur
from centrex.report.render import render_page
from contracts import atomic
from sim.objectives import recommendation_lines

SWEEP_HTML = "sweep.html"
# (aggregate key, chart title, y label, per profile, format)
MEASURES = (
    ("availability", "Availability per profile", "availability %", True, "{:.3f}"),
    ("credits_owed_eur", "Credits owed over the period", "€", True, "{:,.0f}"),
    ("credits_claimed_eur", "Credits claimed (claim_rate)", "€", True, "{:,.0f}"),
    ("restoration_within_objective", "Restorations within the objective", "share", True, "{:.3f}"),
    ("replacement_within_objective", "Replacements within the objective", "share", True, "{:.3f}"),
    ("install_credits_eur", "Install-delay credits", "€", False, "{:,.0f}"),
    ("installs_terminated", "Installs terminated", "installs", False, "{:.2f}"),
)


def _triple(stats: dict[str, Any] | None, leaf: str = "mean") -> tuple[float, Any, Any] | None:
    """(value, CI low, CI high) of one leaf of an aggregate entry, None where there is no value."""
    if not stats or stats.get(leaf) is None:
        return None
    ci = stats.get("ci95" if leaf == "mean" else f"{leaf}_ci95") or [None, None]
    return float(stats[leaf]), ci[0], ci[1]


def _axis(sweep: dict[str, Any]) -> tuple[list[str], list[float] | None, str]:
    """Labels of the points, their numeric positions (one numeric varied key), the axis label."""
    keys = [v["key"] for v in sweep["vary"]]
    points = sweep["points"]
    if len(keys) == 1:
        vals = [p["values"][keys[0]] for p in points]
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in vals)
        return [_value(v) for v in vals], ([float(v) for v in vals] if numeric else None), keys[0]
    labels = [" · ".join(_value(p["values"][k]) for k in keys) for p in points]
    return labels, None, " · ".join(keys)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return "null" if v is None else f"{v:g}" if isinstance(v, float) else str(v)


def _profiles(sweep: dict[str, Any]) -> list[str]:
    return sorted({p for pt in sweep["points"] for p in pt["sites"]})


def _chart(sweep: dict[str, Any], key: str, title: str, unit: str, per_profile: bool, form: str) -> str:
    labels, xs, x_label = _axis(sweep)
    points = sweep["points"]
    series: dict[str, list] = {}
    if per_profile:
        for prof in _profiles(sweep):
            series[prof] = [_triple((p["aggregate"].get(key) or {}).get(prof)) for p in points]
    else:
        series["fleet"] = [_triple(p["aggregate"].get(key)) for p in points]
    markers = []
    for o in sweep["objectives"]:
        path = o["measure"].split(".")
        if path[0] != key:
            continue
        markers.append((o["bound"], o["objective"]))
        if per_profile and len(path) == 3 and path[2] in ("p50", "p95"):  # the objective's own quantile
            series[f"{path[1]} {path[2].upper()}"] = [
                _triple(p["aggregate"][key].get(path[1]), path[2]) for p in points
            ]
    return plots.ci_chart(
        f"plot-{key}",
        labels,
        series,
        xs=xs,
        title=f"{title} (mean, 95 % CI)",
        x_label=x_label,
        y_label=unit,
        fmt=form.format,
        markers=markers,
        width=SMALL,
        height=300,
    )


def _ci(stats: dict[str, Any] | None, form: str) -> str:
    if not stats or stats.get("mean") is None:
        return ""
    lo, hi = stats.get("ci95") or [None, None]
    mean = form.format(stats["mean"])
    return mean if lo is None else f"{mean} ({form.format(lo)}–{form.format(hi)})"


def _table(sweep: dict[str, Any]) -> Table:
    keys = [v["key"] for v in sweep["vary"]]
    columns = [
        "point",
        *keys,
        "profile",
        "sites",
        "availability % (95 % CI)",
        "owed mean (CI)",
        "owed P50",
        "owed P95",
        "claimed P50",
        "claimed P95",
        "within objective",
    ]
    rows = []
    for p in sweep["points"]:
        agg = p["aggregate"]
        for prof, sites in p["sites"].items():
            owed, claimed = agg["credits_owed_eur"][prof], agg["credits_claimed_eur"][prof]
            rows.append(
                [
                    str(p["point"]),
                    *(_value(p["values"][k]) for k in keys),
                    prof,
                    str(sites),
                    _ci(agg["availability"][prof], "{:.3f}"),
                    _ci(owed, "{:,.0f}"),
                    eur(owed["p50"]),
                    eur(owed["p95"]),
                    eur(claimed["p50"]),
                    eur(claimed["p95"]),
                    _ci(agg["restoration_within_objective"][prof], "{:.3f}"),
                ]
            )
    numeric = {0, *range(len(keys) + 2, len(columns))}
    return Table("table-points", "Every point, per profile", columns, rows, numeric)


def _paired_table(sweep: dict[str, Any]) -> Table:
    keys = [v["key"] for v in sweep["vary"]]
    columns = [
        "point",
        *keys,
        "profile",
        "Δ availability % (95 % CI)",
        "Δ owed € (95 % CI)",
        "Δ claimed € (95 % CI)",
    ]
    forms = {"availability": "{:+.4f}", "credits_owed_eur": "{:+,.1f}", "credits_claimed_eur": "{:+,.1f}"}
    rows = []
    for p in sweep["points"][1:]:
        diffs = p["paired_vs_point_0"]
        for prof in p["sites"]:
            rows.append(
                [str(p["point"]), *(_value(p["values"][k]) for k in keys), prof]
                + [_ci(diffs[m][prof], f) for m, f in forms.items()]
            )
    return Table("table-paired", "Differences from point 0, replication by replication", columns, rows, {0})


def _objectives_table(sweep: dict[str, Any]) -> Table:
    keys = [v["key"] for v in sweep["vary"]]
    columns = ["point", *keys]
    for o in sweep["objectives"]:
        columns += [o["objective"], "met"]
    rows = []
    for p in sweep["points"]:
        row = [str(p["point"]), *(_value(p["values"][k]) for k in keys)]
        for c in p["objectives"]:
            row += [
                "" if c["value"] is None else f"{c['value']:,.6g}",
                {True: "yes", False: "no"}.get(c["met"], ""),
            ]
        rows.append(row)
    return Table("table-objectives", "Objectives at every point", columns, rows, {0})


def render_sweep_html(sweep: dict[str, Any]) -> str:
    """Return the sweep page's HTML for a sweep.json object."""
    charts = [_chart(sweep, *m) for m in MEASURES]
    keys = ", ".join(v["key"] for v in sweep["vary"])
    sections = []
    rec = sweep["recommendation"]
    if sweep["objectives"]:
        intro = (
            " ".join(recommendation_lines(rec, sweep["replications"]))
            if rec is not None
            else "Objectives checked at every point (no --minimise: no recommendation)."
        )
        sections.append(Section("recommendation", "Recommendation", intro, [], [_objectives_table(sweep)]))
    sections.append(
        Section(
            "measures",
            "Measures against the varied key(s)",
            f"Varied: {keys}. Each dot is a point's mean over {sweep['replications']} replications, its "
            "whisker the 95 % confidence interval (Student t for means, order statistics for P50/P95; an "
            "unbounded end is not drawn). Dashed lines are the objectives' bounds.",
            grid=charts,
        )
    )
    sections.append(Section("points", "Points", "The numbers behind the charts.", [], [_table(sweep)]))
    if len(sweep["points"]) > 1:
        sections.append(
            Section(
                "paired",
                "Paired differences",
                "Each point minus point 0, replication by replication: replication r of every point draws "
                "the same random streams, so the difference is the effect of the change and its CI is "
                "narrower than the CIs of the two means suggest.",
                [],
                [_paired_table(sweep)],
            )
        )
    facts = [
        ("scenario", str(sweep["scenario"])),
        ("seed", str(sweep["seed"])),
        ("points", str(len(sweep["points"]))),
        ("replications per point", str(sweep["replications"])),
        ("varied", keys),
    ]
    return render_page(
        "sweep.html.j2", title=f"centrex sweep — {sweep['scenario']}", sections=sections, facts=facts
    )


def write_sweep_html(directory: Path, sweep: dict[str, Any]) -> Path:
    """Write sweep.html into the sweep directory (atomically)."""
    target = Path(directory) / SWEEP_HTML
    atomic.write_text(target, render_sweep_html(sweep))
    return target
