"""Common random numbers across the points of a sweep, read where a user would: the kept points' run
directories. Replication r of every point draws the same failures (per component, from a stream the
repairs do not touch), so a paired difference between points is sharper than an unpaired one."""

from __future__ import annotations

import csv
import json
import math
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from sim_helpers import BASE, write

from sim.sweep import run_sweep

REPLICATIONS = 6


@pytest.fixture(scope="module")
def crews_sweep(tmp_path_factory):
    """Points differing only in repair.crews.*; no storms, so every failure of a component follows its
    previous restoration (a failure while storm damage is being repaired leaves no interval)."""
    tmp = tmp_path_factory.mktemp("crn")
    src = write(tmp, {**BASE, "storms": [], "replications": REPLICATIONS})
    out = run_sweep(
        src,
        ["repair.crews.r1=1,2,4", "repair.crews.r2=1,3"],
        out=tmp / "out",
        workers=2,
        keep_points=True,
    ).out
    return out, json.loads((out / "sweep.json").read_text())


def _lives(point_dir: Path) -> dict[tuple[int, str], list[tuple[float, float]]]:
    """(replication, component) → its (down, up) instants in epoch seconds, in order."""
    lives: dict[tuple[int, str], list[tuple[float, float]]] = defaultdict(list)
    with (point_dir / "events.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["kind"] == "platform":
                continue
            down = datetime.fromisoformat(row["down_at"]).timestamp()
            up = datetime.fromisoformat(row["up_at"]).timestamp()
            lives[(int(row["replication"]), row["component"])].append((down, up))
    return {k: sorted(v) for k, v in lives.items()}


def _times_to_failure(life: list[tuple[float, float]]) -> list[float]:
    return [b[0] - a[1] for a, b in zip(life, life[1:], strict=False)]


def test_same_failures_whatever_the_crews(crews_sweep):
    out, doc = crews_sweep
    lives = [_lives(out / p["dir"]) for p in doc["points"]]
    base = lives[0]
    compared = restorations_moved = 0
    for other in lives[1:]:
        for key in base.keys() | other.keys():
            a, b = base.get(key, []), other.get(key, [])
            # the same first failure instant (both are in the file unless past the horizon in neither)
            assert bool(a) == bool(b), key
            if not a:
                continue
            assert a[0][0] == b[0][0], key
            # the same sequence of times to failure after each restoration; instants shift only by the
            # restorations (whole seconds in events.csv: a difference is exact to 1 s)
            ta, tb = _times_to_failure(a), _times_to_failure(b)
            n = min(len(ta), len(tb))
            assert np.allclose(ta[:n], tb[:n], rtol=0, atol=1.01), key
            compared += n
            restorations_moved += any(x[1] != y[1] for x, y in zip(a, b, strict=False))
    assert compared > 100  # components that failed again after a repair, at every point
    assert restorations_moved > 20  # and the crews did change the repairs


def test_one_regions_crews_leave_the_other_regions_alone(crews_sweep):
    """Each crew (provider, region) has its own repair stream: points differing only in r2's crews have
    the same events at r1's sites (groups a and b), down and up, and the other way round."""
    out, doc = crews_sweep
    by = {(p["values"]["repair.crews.r1"], p["values"]["repair.crews.r2"]): p for p in doc["points"]}

    def events_of(point, groups):
        lives = _lives(out / point["dir"])
        return {k: v for k, v in lives.items() if k[1].split("-")[0] in groups}

    r1, r2 = {"a", "b"}, {"c", "d"}
    assert events_of(by[(1, 1)], r1) == events_of(by[(1, 3)], r1) != {}
    assert events_of(by[(1, 1)], r2) == events_of(by[(4, 1)], r2) != {}
    assert events_of(by[(1, 1)], r1) != events_of(by[(4, 1)], r1)  # r1's own crews do change r1


def test_paired_difference_is_sharper_than_unpaired(crews_sweep):
    """Availability of the ALLSET group (region r1) with 1 vs 4 crews in r1: with common random numbers
    the two points' replications are positively correlated (the same failures), so the CI of the paired
    differences is narrower than the Welch CI of the difference of two independent means."""
    out, doc = crews_sweep
    by = {(p["values"]["repair.crews.r1"], p["values"]["repair.crews.r2"]): p for p in doc["points"]}

    def per_rep(point):
        s = json.loads((out / point["dir"] / "summary.json").read_text())
        return np.array([r["availability"]["allset"] for r in s["per_replication"]])

    a, b = per_rep(by[(1, 1)]), per_rep(by[(4, 1)])
    n = len(a)
    assert n == REPLICATIONS
    d = b - a
    paired = stats.t.ppf(0.975, n - 1) * d.std(ddof=1) / math.sqrt(n)
    va, vb = a.var(ddof=1) / n, b.var(ddof=1) / n
    df = (va + vb) ** 2 / (va**2 / (n - 1) + vb**2 / (n - 1))
    unpaired = stats.t.ppf(0.975, df) * math.sqrt(va + vb)
    assert np.corrcoef(a, b)[0, 1] > 0.5
    assert paired < 0.5 * unpaired, (paired, unpaired)


def test_demo_more_crews_more_availability_less_liability(tmp_path):
    """The issue's Done-when on the demo: more sud-est crews, ALLSET availability up and credits down; the
    paired difference of availability (1 → 2 crews) is positive with its whole CI."""
    demo = Path(__file__).resolve().parents[2] / "scenarios" / "demo.yaml"
    doc = run_sweep(
        demo, ["repair.crews.sud-est=1,2,4"], out=tmp_path / "out", replications=8, workers=2
    ).sweep
    avail = [p["aggregate"]["availability"]["allset"]["mean"] for p in doc["points"]]
    owed = [p["aggregate"]["credits_owed_eur"]["allset"]["mean"] for p in doc["points"]]
    assert avail[0] < avail[1] <= avail[2]
    assert owed[0] > owed[1] >= owed[2]
    gain = doc["points"][1]["paired_vs_point_0"]["availability"]["allset"]
    assert gain["ci95"][0] > 0
