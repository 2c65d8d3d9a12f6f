"""`centrex sweep` as one domain function: the grid, every point × replication on the run pool, the
sweep directory (sweep.json, sweep.csv, the HTML page, and each point's run directory when kept).

Common random numbers: every point runs replications 0 … N−1 with the same base seed, and a replication's
streams depend on (seed, index) only, so replication r of every point draws from the same streams and a
difference between points is the effect of the change rather than of the noise.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import yaml

from contracts.atomic import directory
from contracts.errors import InputError
from sim.context import scenario_profiles
from sim.grid import Point, Vary, build_grid
from sim.metrics import LIFE_METRICS
from sim.objectives import Objective, parse_objective, recommend
from sim.outputs import RunWriter, default_out_dir
from sim.replication import Result
from sim.run import check_writable, scenario_summary
from sim.rundir import Detail, Outputs
from sim.runner import Job, run_jobs
from sim.summary import mean_ci, summarize

SWEEP_FILES = ("sweep.json", "sweep.csv")
POINTS_DIR = "points"
MONEY = ("credits_owed_eur", "credits_claimed_eur")
PAIRED = ("availability", *MONEY)  # measures compared with the first point replication by replication


@dataclass(frozen=True)
class SweepOutcome:
    """Where the sweep was written, its sweep.json object and its points."""

    out: Path
    sweep: dict[str, Any]
    points: list[Point]


def quantile_ci(values: list[float], q: float, level: float = 0.95) -> list[float | None]:
    """Distribution-free CI of the q-quantile from order statistics (binomial ranks); an end is None
    when there are too few replications to bound it (the upper end of a P95 needs 72 or more)."""
    from scipy import stats  # imported here: scipy.stats costs ~0.5 s at CLI start

    x = np.sort(np.asarray(values, dtype=float))
    n = x.size
    if n == 0:
        return [None, None]
    alpha = (1 - level) / 2
    cdf = stats.binom.cdf(np.arange(n + 1), n, q)  # cdf[j] = P(B <= j)
    below = np.nonzero(cdf <= alpha)[0]  # P(B <= l-1) <= alpha  ->  rank l = j + 1
    above = np.nonzero(cdf >= 1 - alpha)[0]  # P(B <= u-1) >= 1 - alpha  ->  rank u = j + 1
    lo = x[below[-1]] if below.size else None  # rank l (1-based) is index l-1 = j
    u = int(above[0]) + 1 if above.size else n + 1
    hi = x[u - 1] if u <= n else None
    return [None if lo is None else round(float(lo), 2), None if hi is None else round(float(hi), 2)]


def _r(x: float, nd: int = 6) -> float | None:
    return None if math.isnan(x) else round(float(x), nd)


def point_aggregate(summary: dict[str, Any]) -> dict[str, Any]:
    """summary.json's aggregate with the CIs a comparison needs: of the mean and of P50/P95 for money,
    and the mean number of terminated installs."""
    agg = copy.deepcopy(summary["aggregate"])
    per = summary["per_replication"]

    def money(stats: dict[str, Any], values: list[float]) -> None:
        _m, lo, hi = mean_ci(values, bounds=(0.0, math.inf))  # credits are never negative
        stats["ci95"] = [_r(lo, 2), _r(hi, 2)]
        stats["p50_ci95"] = quantile_ci(values, 0.5)
        stats["p95_ci95"] = quantile_ci(values, 0.95)

    for key in MONEY:
        for p, stats in agg[key].items():
            money(stats, [x[key][p] for x in per])
    money(agg["install_credits_eur"], [x["install_credits_eur"] for x in per])
    m, lo, hi = mean_ci([x["installs_terminated"] for x in per], bounds=(0.0, math.inf))
    agg["installs_terminated"] = {"mean": _r(m), "ci95": [_r(lo), _r(hi)]}
    return agg


def paired_differences(base: dict[str, Any], summary: dict[str, Any]) -> dict[str, Any]:
    """Per measure and profile: mean and 95 % CI of (this point − the first point), replication by
    replication. Common random numbers make the pairs alike, so this CI is the sharp one to read."""
    out: dict[str, Any] = {}
    pairs = list(zip(base["per_replication"], summary["per_replication"], strict=True))
    for key in PAIRED:
        out[key] = {}
        for p in summary["sites"]:
            d = [b[key].get(p) - a[key].get(p) for a, b in pairs if _both(a[key].get(p), b[key].get(p))]
            m, lo, hi = mean_ci(d)
            out[key][p] = None if not d else {"mean": _r(m), "ci95": [_r(lo), _r(hi)]}
    return out


def _both(a: float | None, b: float | None) -> bool:
    return a is not None and b is not None


def probe_aggregate(profiles: list[str]) -> dict[str, Any]:
    """The shape of a point's aggregate for these profiles, before anything runs (objective paths)."""
    zero = {p: 0.0 for p in profiles}
    metrics = {
        "availability": {p: 100.0 for p in profiles},
        "credits_owed_eur": zero,
        "credits_claimed_eur": zero,
        "restoration_within_objective": zero,
        "install_credits_eur": 0.0,
        "replacement_within_objective": zero,
        "outages": {p: 0 for p in profiles},
        "tickets": 0,
        "installs_in_service": 0,
        "installs_terminated": 0,
        **{k: zero for k in LIFE_METRICS},
        "tickets_provider_detected": {p: 0 for p in profiles},
        "non_responses": {p: 0 for p in profiles},
    }
    probe = SimpleNamespace(index=0, metrics=metrics)  # all `summarize` reads of a result
    summary = summarize("probe", 0, [probe], dict.fromkeys(profiles, 1), {})  # type: ignore[list-item]
    return point_aggregate(summary)


def run_sweep(
    path: str | Path,
    varies: list[str],
    *,
    out: str | Path | None = None,
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    objectives: Sequence[str] = (),
    minimise: str | None = None,
    keep_points: bool = False,
    outputs: Outputs = Outputs.csv,
    detail: Detail = Detail.default,
    on_start: Callable[[list[Point], int], None] | None = None,
    on_result: Callable[[Point, Result], None] | None = None,
    finalize: Callable[[Path, dict[str, Any]], None] | None = None,
    finalize_point: Callable[[Path], None] | None = None,
) -> SweepOutcome:
    """Validate the whole grid, run every point × replication, write the sweep directory atomically.

    Bad input (a key, a value, a point, an objective, the output directory) raises one InputError before
    anything runs. `finalize(tmp, sweep)` writes derived files (the HTML page) into the directory before
    its rename; `finalize_point(tmp)` does the same for each kept point's run directory.

    A kept point's run directory is written by the run writer (`sim.outputs.RunWriter`, the schema of
    `sim.rundir`) as its replications arrive, with `outputs` and `detail` as for `centrex run`; with
    Parquet the workers write the partitions. Points that are not kept run with no table at all.
    """
    base, grid, points = build_grid(path, varies, replications=replications, seed=seed)
    if workers < 1:
        raise InputError("must be at least 1", field="--workers")
    if not keep_points and (outputs is not Outputs.csv or detail is not Detail.default):
        field = "--outputs" if outputs is not Outputs.csv else "--detail"
        raise InputError("only applies to the points' run directories: add --keep-points", field=field)
    template = probe_aggregate(sorted({p for pt in points for p in pt.scenario.profile_names}))
    objs = [parse_objective(t, template) for t in objectives]
    if minimise is not None:
        _check_minimise(minimise, grid, objs)
    target = Path(out) if out is not None else default_out_dir(f"{base.name}-sweep")
    if target.exists():
        raise InputError("output directory already exists", file=str(target), field="--out")
    check_writable(target)
    profiles = [scenario_profiles(pt.scenario) for pt in points]
    n = base.replications
    if on_start is not None:
        on_start(points, n)
    try:
        with directory(target) as tmp:
            writers = _point_writers(tmp, points, profiles, outputs, detail) if keep_points else []
            results = _run_points(
                points,
                n,
                base.seed,
                workers,
                scheduler,
                writers,
                detail if keep_points else Detail.none,
                on_result,
            )
            summaries = []
            for k, (pt, pr, rs) in enumerate(zip(points, profiles, results, strict=True)):
                summaries.append(scenario_summary(pt.scenario, pr, rs))
                if keep_points:
                    writers[k].finish(
                        scenario_text=point_yaml(pt, path),
                        resolved=pt.scenario.model_dump(mode="json"),
                        summary=scenario_summary(pt.scenario, pr, rs, outputs=outputs, detail=detail),
                        finalize=finalize_point,
                    )
            sweep = sweep_document(base, grid, points, summaries, objs, minimise, keep_points)
            (tmp / "sweep.json").write_text(
                json.dumps(sweep, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
            )
            (tmp / "sweep.csv").write_text(sweep_csv(sweep), encoding="utf-8")
            if finalize is not None:
                finalize(tmp, sweep)
    except OSError as exc:
        raise InputError(
            f"cannot write the sweep directory: {exc.strerror}", file=str(target), field="--out"
        ) from None
    return SweepOutcome(target, sweep, points)


def _point_writers(
    tmp: Path, points: list[Point], profiles: list[dict], outputs: Outputs, detail: Detail
) -> list[RunWriter]:
    """One run writer per kept point, inside the sweep's temporary directory: each point's directory
    appears when its last file is written, and the whole sweep only with the sweep directory's rename."""
    (tmp / POINTS_DIR).mkdir()
    return [
        RunWriter(tmp / POINTS_DIR / point_dir(pt), outputs, detail, pr)
        for pt, pr in zip(points, profiles, strict=True)
    ]


def _run_points(
    points: list[Point],
    n: int,
    seed: int,
    workers: int,
    scheduler: str | None,
    writers: list[RunWriter],
    detail: Detail,
    on_result: Callable[[Point, Result], None] | None,
) -> list[list[Result]]:
    """Every point × replication on one pool; a kept point's results go to its writer as they arrive
    (Parquet partitions are written by the worker itself) and only their metrics are kept."""
    jobs: list[Job] = []
    for k, pt in enumerate(points):
        sink = writers[k].sink if writers and writers[k].outputs is Outputs.parquet else None
        jobs += [(pt.scenario, i, seed, True, detail, sink) for i in range(n)]

    def done(j: int, r: Result) -> Result:
        kept = writers[j // n].add(r) if writers else r
        if on_result is not None:
            on_result(points[j // n], kept)
        return kept

    flat = run_jobs(jobs, workers=workers, scheduler=scheduler, on_done=done)
    return [flat[k * n : (k + 1) * n] for k in range(len(points))]


def _check_minimise(key: str, grid: list[Vary], objs: list[Objective]) -> None:
    match = [v for v in grid if v.key == key]
    if not match:
        raise InputError(
            f"{key!r} is not a varied key (varied: {', '.join(v.key for v in grid)})", field="--minimise"
        )
    if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in match[0].values):
        raise InputError(f"the values of {key} are not all numbers", field="--minimise")
    if not objs:
        raise InputError("give the --objective(s) the cheapest point must meet", field="--minimise")


def point_dir(pt: Point) -> str:
    """`points/NNN`: the point's number (its values are in sweep.json)."""
    return f"{pt.index:03d}"


def point_yaml(pt: Point, source: str | Path) -> str:
    """A kept point's scenario.yaml: the scenario with the point's values, and where it came from."""
    head = f"# sweep point {pt.index} of {source}: {pt.label}\n"
    return head + yaml.safe_dump(pt.data, sort_keys=False, allow_unicode=True)


def sweep_document(
    base: Any,
    grid: list[Vary],
    points: list[Point],
    summaries: list[dict[str, Any]],
    objs: list[Objective],
    minimise: str | None,
    keep_points: bool,
) -> dict[str, Any]:
    """The sweep.json object: the grid, one object per point, the recommendation when asked for."""
    rows = []
    for pt, sm in zip(points, summaries, strict=True):
        agg = point_aggregate(sm)
        rows.append(
            {
                "point": pt.index,
                "values": pt.values,
                "dir": f"{POINTS_DIR}/{point_dir(pt)}" if keep_points else None,
                "sites": sm["sites"],
                "aggregate": agg,
                "paired_vs_point_0": paired_differences(summaries[0], sm),
                "objectives": [o.check(agg) for o in objs],
            }
        )
    return {
        "scenario": base.name,
        "seed": base.seed,
        "replications": base.replications,
        "vary": [{"key": v.key, "path": ".".join(map(str, v.path)), "values": list(v.values)} for v in grid],
        "objectives": [
            {"objective": o.text, "measure": ".".join(map(str, o.path)), "op": o.op, "bound": o.bound}
            for o in objs
        ],
        "points": rows,
        "recommendation": recommend(rows, objs, minimise) if minimise is not None else None,
    }


def _flatten(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(v, f"{prefix}.{k}" if prefix else str(k), out)
    elif isinstance(value, list) and len(value) == 2 and prefix.endswith("ci95"):
        out[f"{prefix}_lo"], out[f"{prefix}_hi"] = value
    else:
        out[prefix] = value


def _cell(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    return repr(v) if isinstance(v, float) else str(v)


def sweep_csv(sweep: dict[str, Any]) -> str:
    """sweep.csv: one row per point, the varied values then every aggregate measure and objective."""
    flat = []
    for p in sweep["points"]:
        row: dict[str, Any] = {"point": p["point"]}
        row.update(p["values"])
        _flatten(p["aggregate"], "", row)
        _flatten(p["paired_vs_point_0"], "paired_vs_point_0", row)
        for j, c in enumerate(p["objectives"], 1):
            row[f"objective.{j}.value"] = c["value"]
            row[f"objective.{j}.met"] = c["met"]
        flat.append(row)
    columns: dict[str, None] = {}
    for row in flat:
        columns.update(dict.fromkeys(row))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for row in flat:
        w.writerow(_cell(row.get(c)) for c in columns)
    return buf.getvalue()
