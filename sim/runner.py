"""Run the replications of a scenario: in this process, on a multiprocessing pool, or on a Dask cluster.

Whatever runs them, results are put back in replication order, and each replication's streams depend on
(seed, index) only, so the outputs are the same bytes for the same seed.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable
from typing import TYPE_CHECKING

from sim.context import context
from sim.replication import Result, run_replication
from sim.rundir import Detail
from sim.scenario import Scenario

if TYPE_CHECKING:
    from sim.outputs import Sink

Progress = Callable[[Result], None]
Job = tuple[Scenario, int, int, bool, Detail, "Sink | None"]


def default_workers() -> int:
    """One worker per core (replications are CPU-bound)."""
    return max(1, os.cpu_count() or 1)


def _one(args: Job) -> Result:
    """Run one replication; with a sink, write its partitions here, in the worker, and return only its
    metrics."""
    s, i, seed, full, detail, sink = args
    r = run_replication(s, i, seed, full=full, detail=detail)
    if sink is not None:
        from sim.outputs import write_partitions

        r = write_partitions(sink, r, context(s).profiles)
    return r


def _numbered(args: tuple[int, Job]) -> tuple[int, Result]:
    n, job = args
    return n, _one(job)


def run_replications(
    scenario: Scenario,
    replications: int,
    seed: int,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    on_result: Callable[[Result], Result | None] | None = None,
    full: bool = True,
    detail: Detail = Detail.default,
    sink: Sink | None = None,
) -> list[Result]:
    """Run replications 0 … N−1 and return their results in index order.

    `scheduler`: address of a Dask distributed scheduler (tcp://host:port) — replications become Dask
    tasks; otherwise `workers` > 1 uses a multiprocessing pool (forked before any progress thread starts).
    `full=False` skips the tables and the SLA engine (what `centrex validate` needs). `detail` decides
    which tables a replication returns; with a `sink`, the worker writes them there itself.
    `on_result(r)` sees each result as it arrives (in any order) and may return a lighter one to keep
    (the run writer returns it without its tables).
    """
    jobs: list[Job] = [(scenario, i, seed, full, detail, sink) for i in range(replications)]
    done = None if on_result is None else (lambda _n, r: on_result(r))
    return run_jobs(jobs, workers=workers, scheduler=scheduler, on_done=done)


def run_jobs(
    jobs: list[Job],
    *,
    workers: int = 1,
    scheduler: str | None = None,
    on_done: Callable[[int, Result], Result | None] | None = None,
) -> list[Result]:
    """Run replication jobs (of one scenario or of several: the points of a sweep) on the same pool as
    `run_replications`; return the results in job order. `on_done(job number, result)` sees each as it
    ends (in any order) and may return a lighter one to keep."""
    results: dict[int, Result] = {}

    def done(n: int, r: Result) -> None:
        kept = on_done(n, r) if on_done is not None else None
        results[n] = kept if kept is not None else r

    numbered = list(enumerate(jobs))
    if scheduler:
        _run_dask(scheduler, numbered, done)
    elif workers > 1 and len(jobs) > 1:
        ctx = mp.get_context("fork")
        with ctx.Pool(min(workers, len(jobs))) as pool:
            for n, r in pool.imap_unordered(_numbered, numbered, chunksize=1):
                done(n, r)
    else:
        for job in numbered:
            done(*_numbered(job))
    return [results[n] for n in range(len(jobs))]


def _run_dask(address: str, jobs: list, done: Callable[[int, Result], None]) -> None:
    from distributed import Client, as_completed

    from contracts.errors import InputError

    try:
        client = Client(address, timeout="10s")
    except OSError as exc:
        raise InputError(f"cannot reach the Dask scheduler: {exc}", field="--scheduler") from None
    try:
        futures = client.map(_numbered, jobs, pure=False)
        for fut in as_completed(futures):
            done(*fut.result())
    finally:
        client.close()
