"""Aggregate replications: means with confidence intervals, credit percentiles (P50/P95)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from sim.metrics import LIFE_METRICS
from sim.replication import Result


def mean_ci(
    values: Sequence[float], level: float = 0.95, bounds: tuple[float, float] | None = None
) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval across replications (a single value: a zero-width one),
    clipped to `bounds` when given (an availability cannot exceed 100 %)."""
    from scipy import stats  # imported here: scipy.stats costs ~0.5 s at CLI start

    x = np.asarray([v for v in values if v is not None], dtype=float)
    if x.size == 0:
        return math.nan, math.nan, math.nan
    m = float(x.mean())
    if x.size < 2:
        return m, m, m
    half = float(stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    lo, hi = m - half, m + half
    if bounds is not None:
        lo, hi = max(lo, bounds[0]), min(hi, bounds[1])
    return m, lo, hi


def percentiles(values: Sequence[float]) -> dict[str, float]:
    """Mean, P50 and P95 in euros (rounded to the cent)."""
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return {"mean": 0.0, "p50": 0.0, "p95": 0.0}
    return {
        k: round(float(v), 2)
        for k, v in (("mean", x.mean()), ("p50", np.percentile(x, 50)), ("p95", np.percentile(x, 95)))
    }


def _r(x: float | None, nd: int = 6) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), nd)


def summarize(
    name: str, seed: int, results: list[Result], sites: dict[str, int], choices: dict[str, dict]
) -> dict[str, Any]:
    """The summary.json object (format in run-outputs.md)."""
    profiles = sorted(sites)
    per = []
    for r in results:
        m = r.metrics
        per.append(
            {
                "replication": r.index,
                "availability": {p: _r(m["availability"][p]) for p in profiles},
                "credits_owed_eur": m["credits_owed_eur"],
                "credits_claimed_eur": m["credits_claimed_eur"],
                "restoration_within_objective": {
                    p: _r(m["restoration_within_objective"][p]) for p in profiles
                },
                "install_credits_eur": m["install_credits_eur"],
                "replacement_within_objective": {
                    p: _r(m["replacement_within_objective"][p]) for p in profiles
                },
                "outages": m["outages"],
                "tickets": m["tickets"],
                "installs_in_service": m["installs_in_service"],
                "installs_terminated": m["installs_terminated"],
                # moves, terminations, install cancellations per profile (counts, euros)
                **{k: {p: m[k][p] for p in profiles} for k in LIFE_METRICS},
                **_ticket_counts(m, profiles),
            }
        )
    agg: dict[str, Any] = {
        "availability": {},
        "credits_owed_eur": {},
        "credits_claimed_eur": {},
        "restoration_within_objective": {},
        "replacement_within_objective": {},
    }
    for p in profiles:
        m, lo, hi = mean_ci([x["availability"][p] for x in per], bounds=(0.0, 100.0))
        agg["availability"][p] = {"mean": _r(m), "ci95": [_r(lo), _r(hi)]}
        agg["credits_owed_eur"][p] = percentiles([x["credits_owed_eur"][p] for x in per])
        agg["credits_claimed_eur"][p] = percentiles([x["credits_claimed_eur"][p] for x in per])
        for key in ("restoration_within_objective", "replacement_within_objective"):
            vals = [x[key][p] for x in per]
            if all(v is None for v in vals):
                agg[key][p] = None
            else:
                m, lo, hi = mean_ci(vals, bounds=(0.0, 1.0))
                agg[key][p] = {"mean": _r(m), "ci95": [_r(lo), _r(hi)]}
    agg["install_credits_eur"] = percentiles([x["install_credits_eur"] for x in per])
    for k in LIFE_METRICS:  # P50/P95 per profile (`percentiles` rounds to the cent: counts stay whole)
        agg[k] = {p: percentiles([x[k][p] for x in per]) for p in profiles}
    agg.update(_ticket_percentiles(per, profiles))
    return {
        "scenario": name,
        "seed": seed,
        "replications": len(results),
        "sites": sites,
        "per_replication": per,
        "aggregate": agg,
        "choices": choices,
    }


TICKET_COUNTS = ("tickets_provider_detected", "non_responses")


def _ticket_counts(m: dict[str, Any], profiles: list[str]) -> dict[str, Any]:
    """Per profile: failures whose ticket the provider opened on detection (001 §4 (i), 002 §4), and tickets
    the engine deemed resolved for want of the customer's answer (002 §4); None without the SLA engine."""
    return {k: None if m.get(k) is None else {p: m[k][p] for p in profiles} for k in TICKET_COUNTS}


def _ticket_percentiles(per: list[dict[str, Any]], profiles: list[str]) -> dict[str, Any]:
    """The ticket counts' mean, P50 and P95 per profile across replications."""
    out: dict[str, Any] = {}
    for k in TICKET_COUNTS:
        rows = [x[k] for x in per if x[k] is not None]
        out[k] = {p: percentiles([r[p] for r in rows]) for p in profiles} if rows else None
    return out


def summary_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per profile for the terminal: availability, credits P50/P95, restoration compliance."""
    agg = summary["aggregate"]
    rows = []
    for p, n in summary["sites"].items():
        a = agg["availability"][p]
        rwo = agg["restoration_within_objective"][p]
        rows.append(
            {
                "profile": p,
                "sites": n,
                "avail_%": _r(a["mean"], 3),
                "ci95": f"{a['ci95'][0]:.3f}–{a['ci95'][1]:.3f}" if a["ci95"][0] is not None else "",
                "owed_p50_€": agg["credits_owed_eur"][p]["p50"],
                "owed_p95_€": agg["credits_owed_eur"][p]["p95"],
                "claimed_p50_€": agg["credits_claimed_eur"][p]["p50"],
                "in_obj": None if rwo is None else _r(rwo["mean"], 3),
            }
        )
    return rows


LIFECYCLE_COLUMNS = (  # terminal column: (its label, summary key, statistic)
    ("terminated_p50", "terminations", "p50"),
    ("etf_p50_€", "termination_fees_eur", "p50"),
    ("etf_p95_€", "termination_fees_eur", "p95"),
    ("moves_p50", "moves", "p50"),
    ("cancel_billed_p50", "cancellations_billed", "p50"),
    ("cancel_p50_€", "cancellation_fees_eur", "p50"),
    ("detected_p50", "tickets_provider_detected", "p50"),
    ("no_answer_p50", "non_responses", "p50"),
)


def lifecycle_rows(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per profile of the lifecycle figures (P50/P95 over replications); empty when the scenario
    has no termination, move, cancellation, provider-detected ticket or non-response at all."""
    agg = summary["aggregate"]
    cols = [c for c in LIFECYCLE_COLUMNS if c[1] in agg]
    if not any(agg[key][p]["p95"] for _, key, _ in cols for p in summary["sites"]):
        return []
    return [
        {"profile": p} | {label: agg[key][p][stat] for label, key, stat in cols} for p in summary["sites"]
    ]
