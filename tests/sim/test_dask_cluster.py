"""A real Dask cluster: a `dask scheduler` and two `dask worker` processes on loopback, started and stopped
here. With `--outputs parquet` each worker writes its replications' partitions into the run directory
itself; the result must be byte-identical to a local run."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from sim_helpers import BASE

from sim.run import run_scenario
from sim.rundir import Outputs


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tree(d: Path) -> dict[str, bytes]:
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


@pytest.fixture
def cluster(tmp_path):
    """tcp://127.0.0.1:PORT of a scheduler with two single-threaded worker processes."""
    dask = shutil.which("dask") or pytest.fail(
        "the `dask` command is missing: pip install 'distributed>=2024.1'"
    )
    root = Path(__file__).resolve().parents[2]  # the workers import this tree's packages
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), *sys.path])}
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    common = ["--no-dashboard"]
    procs = [
        subprocess.Popen(
            [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), *common],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / "scheduler.log").open("w"),
        )
    ]
    for k in range(2):
        procs.append(
            subprocess.Popen(
                [
                    dask,
                    "worker",
                    address,
                    "--host",
                    "127.0.0.1",
                    "--nthreads",
                    "1",
                    "--nworkers",
                    "1",
                    "--memory-limit",
                    "1GiB",
                    "--death-timeout",
                    "60",
                    *common,
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=(tmp_path / f"worker-{k}.log").open("w"),
            )
        )
    try:
        from distributed import Client

        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
            pids = client.run(os.getpid)
        assert len(set(pids.values())) == 2 and os.getpid() not in pids.values()  # two processes
        yield address
    finally:
        for p in reversed(procs):
            p.send_signal(signal.SIGINT)
        for p in reversed(procs):
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)


def test_workers_write_their_partitions_and_match_a_local_run(tmp_path, cluster):
    src = tmp_path / "dask.yaml"
    src.write_text(yaml.safe_dump({**BASE, "name": "dask", "replications": 4}, sort_keys=False))
    local = run_scenario(src, out=tmp_path / "local", workers=1, outputs=Outputs.parquet)
    remote = run_scenario(src, out=tmp_path / "remote", scheduler=cluster, outputs=Outputs.parquet)
    # only the metrics travelled back: every replication's files were written by its worker
    assert all(r.written and not r.parts and r.statements is None for r in remote.results)
    assert {len(r.written) for r in remote.results[1:]} == {2}  # events and restorations
    assert _tree(local.out) == _tree(remote.out)
    assert "restorations/replication=3/part-0.parquet" in _tree(remote.out)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left
