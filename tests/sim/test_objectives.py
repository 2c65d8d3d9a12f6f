"""Objectives of a sweep: parsed (never evaluated) against the shape of a point's aggregate, checked with
their CI; the recommendation; the order-statistics CI of a quantile."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from contracts.errors import InputError
from sim.objectives import parse_objective, recommend, recommendation_lines
from sim.sweep import probe_aggregate, quantile_ci

TEMPLATE = probe_aggregate(["alleo", "allset"])


def test_parse():
    o = parse_objective("credits_owed_eur.allset.p95 <= 2000", TEMPLATE)
    assert (o.path, o.op, o.bound) == (("credits_owed_eur", "allset", "p95"), "<=", 2000.0)
    o = parse_objective(" availability.alleo.mean>=99.5 ", TEMPLATE)
    assert (o.path, o.op, o.bound) == (("availability", "alleo", "mean"), ">=", 99.5)
    assert parse_objective("availability.alleo.ci95.0 > 99", TEMPLATE).path[-1] == 0
    assert parse_objective("install_credits_eur.p50 < 1e3", TEMPLATE).bound == 1000.0


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            "credits_owed_eur.allst.p95 <= 2000",
            "unknown 'allst' under credits_owed_eur (known: alleo, allset)",
        ),
        ("credits_owed_eur.allset.p96 <= 2000", "unknown 'p96' under credits_owed_eur.allset"),
        ("credit.allset.p95 <= 2000", "unknown 'credit' under the aggregate (known: availability,"),
        ("credits_owed_eur.allset <= 2000", "not a number but a group of measures"),
        ("credits_owed_eur.allset.p95.x <= 2000", "credits_owed_eur.allset.p95 is a number"),
        ("credits_owed_eur.allset.p95 = 2000", "write MEASURE OP NUMBER"),
        ("credits_owed_eur.allset.p95 <= two", "write MEASURE OP NUMBER"),
        ("__import__('os').system('true') <= 1", "unknown"),
    ],
)
def test_bad_objectives_are_located_errors(text, reason):
    with pytest.raises(InputError) as err:
        parse_objective(text, TEMPLATE)
    assert err.value.field == "--objective"
    assert reason in err.value.reason


def _point(k, crews, p95, ci):
    return {"point": k, "values": {"crews": crews}, "aggregate": {"c": {"p95": p95, "p95_ci95": ci}}}


def _checked(points, objs):
    for p in points:
        p["objectives"] = [o.check(p["aggregate"]) for o in objs]
    return points


def test_recommendation_is_the_cheapest_point_meeting_every_objective():
    template = {"c": {"p95": 0.0, "p95_ci95": [0.0, 0.0]}}
    o = parse_objective("c.p95 <= 2000", template)
    points = _checked(
        [
            _point(0, 4, 1500.0, [1400.0, 1700.0]),
            _point(1, 1, 2600.0, [2400.0, None]),
            _point(2, 2, 1990.0, [1800.0, None]),
            _point(3, 3, 1700.0, [1500.0, 1900.0]),
        ],
        [o],
    )
    rec = recommend(points, [o], "crews")
    assert rec["met"] and rec["point"] == 2 and rec["values"] == {"crews": 2}
    assert rec["checks"][0] == {
        "objective": "c.p95 <= 2000",
        "value": 1990.0,
        "ci95": [1800.0, None],
        "met": True,
        "certain": False,  # the CI's upper end is unbounded
    }
    assert points[3]["objectives"][0]["certain"] is True
    lines = recommendation_lines(rec, 20)
    assert lines[0].startswith("recommendation: crews=2 (point 2): the lowest crews that meets c.p95 <= 2000")
    assert "1,990.00 (95 % CI 1,800.00 – unbounded from 20 replications): met, but the CI crosses" in lines[1]


def test_no_point_meets():
    template = {"c": {"p95": 0.0, "p95_ci95": [0.0, 0.0]}}
    o = parse_objective("c.p95 < 1000", template)
    points = _checked([_point(0, 1, 2600.0, [2400.0, None]), _point(1, 2, 1200.0, [1000.0, 1500.0])], [o])
    rec = recommend(points, [o], "crews")
    assert not rec["met"] and rec["point"] is None and rec["closest"] == 1
    assert recommendation_lines(rec, 8)[0] == "no point meets c.p95 < 1000; the closest is crews=2 (point 1)"


def test_quantile_ci_matches_the_binomial_ranks():
    x = list(range(1, 101))  # the order statistics are their own ranks
    lo, hi = quantile_ci(x, 0.5)
    assert (lo, hi) == (40.0, 61.0)  # the textbook 95 % CI of a median from 100 values
    cover = stats.binom.cdf(hi - 1, 100, 0.5) - stats.binom.cdf(lo - 1, 100, 0.5)
    assert cover >= 0.95
    lo, hi = quantile_ci(list(range(1, 21)), 0.95)
    assert hi is None  # 20 replications cannot bound a P95 from above (1 - 0.95**20 < 0.975)
    assert stats.binom.cdf(lo - 1, 20, 0.95) <= 0.025 < stats.binom.cdf(lo, 20, 0.95)
    assert quantile_ci(list(range(1, 81)), 0.95)[1] is not None  # 72 or more can
    assert quantile_ci([], 0.5) == [None, None]


def test_quantile_ci_covers_in_simulation():
    """Coverage of the median CI on exponential samples (seeded: deterministic) is at least 95 %."""
    rng = np.random.default_rng(3)
    true = math.log(2)
    hits = 0
    for _ in range(400):
        lo, hi = quantile_ci(rng.exponential(1.0, 30).tolist(), 0.5)
        hits += lo <= round(true, 2) <= hi
    assert hits / 400 >= 0.93
