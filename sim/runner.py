"""Run the replications of a scenario: in this process, on a multiprocessing pool, or on a Dask cluster.

Whatever runs them, results are put back in replication order, and each replication's streams depend on
(seed, index) only, so the outputs are the same bytes for the same seed.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable

from sim.replication import Result, run_replication
from sim.scenario import Scenario

Progress = Callable[[Result], None]


def default_workers() -> int:
    """One worker per core (replications are CPU-bound)."""
    return max(1, os.cpu_count() or 1)


def _one(args: tuple[Scenario, int, int, bool]) -> Result:
    s, i, seed, full = args
    return run_replication(s, i, seed, full=full)


def run_replications(
    scenario: Scenario,
    replications: int,
    seed: int,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    on_result: Progress | None = None,
    full: bool = True,
) -> list[Result]:
    """Run replications 0 … N−1 and return their results in index order.

    `scheduler`: address of a Dask distributed scheduler (tcp://host:port) — replications become Dask
    tasks; otherwise `workers` > 1 uses a multiprocessing pool (forked before any progress thread starts).
    `full=False` skips the CSV texts and the SLA engine (what `centrex validate` needs).
    """
    jobs = [(scenario, i, seed, full) for i in range(replications)]
    results: list[Result] = []

    def done(r: Result) -> None:
        results.append(r)
        if on_result is not None:
            on_result(r)

    if scheduler:
        _run_dask(scheduler, jobs, done)
    elif workers > 1 and replications > 1:
        ctx = mp.get_context("fork")
        with ctx.Pool(min(workers, replications)) as pool:
            for r in pool.imap_unordered(_one, jobs, chunksize=1):
                done(r)
    else:
        for job in jobs:
            done(_one(job))
    results.sort(key=lambda r: r.index)
    return results


def _run_dask(address: str, jobs: list, done: Callable[[Result], None]) -> None:
    from distributed import Client, as_completed

    from contracts.errors import InputError

    try:
        client = Client(address, timeout="10s")
    except OSError as exc:
        raise InputError(f"cannot reach the Dask scheduler: {exc}", field="--scheduler") from None
    try:
        futures = client.map(_one, jobs, pure=False)
        for fut in as_completed(futures):
            done(fut.result())
    finally:
        client.close()
