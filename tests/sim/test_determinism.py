"""Same seed → byte-identical run directory, whether replications run here, on a pool or on Dask."""

from __future__ import annotations

from pathlib import Path

import yaml
from distributed import LocalCluster
from sim_helpers import BASE

from sim.context import replication_rngs
from sim.run import run_scenario


def _files(d: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(d.iterdir())}


def _src(tmp: Path) -> Path:
    p = tmp / "det.yaml"
    p.write_text(yaml.safe_dump({**BASE, "name": "det", "replications": 4}, sort_keys=False))
    return p


def test_same_seed_same_bytes_whatever_the_workers(tmp_path):
    src = _src(tmp_path)
    one = run_scenario(src, out=tmp_path / "one", workers=1).out
    two = run_scenario(src, out=tmp_path / "two", workers=2).out
    assert _files(one) == _files(two)


def test_dask_cluster_gives_the_local_result(tmp_path):
    src = _src(tmp_path)
    local = run_scenario(src, out=tmp_path / "local", workers=1).out
    with LocalCluster(n_workers=1, processes=False, threads_per_worker=2, dashboard_address=None) as cluster:
        remote = run_scenario(src, out=tmp_path / "dask", scheduler=cluster.scheduler_address).out
    assert _files(local) == _files(remote)


def test_other_seed_other_result(tmp_path):
    src = _src(tmp_path)
    a = run_scenario(src, out=tmp_path / "a", workers=1, replications=1).out
    b = run_scenario(src, out=tmp_path / "b", workers=1, replications=1, seed=12).out
    assert (a / "events.csv").read_bytes() != (b / "events.csv").read_bytes()


def test_replication_streams_do_not_depend_on_the_number_of_replications():
    # Child i of SeedSequence(seed): replication 3 is the same in a run of 4 and in a run of 40.
    a = replication_rngs(7, 3)["dynamics"].random(4)
    b = replication_rngs(7, 3)["dynamics"].random(4)
    c = replication_rngs(7, 4)["dynamics"].random(4)
    assert (a == b).all() and not (a == c).all()
