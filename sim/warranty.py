"""Whether a failed piece of equipment was under warranty when it failed, for the whole fleet at once.

A site's equipment is delivered on its order day (the install's signature, or the scenario's start for
sites in service from it: the day the inventory records as its delivery) and is under warranty for the
profile's `warranty_months` from that day (000 §2.6 24 months, 001 §3 and 002 §3 12 months, 004 §8 one
year); ALLEO equipment supplied by a lessor is under warranty for the lease length (000 §2.7). A piece
put in by a replacement is delivered on the day of the replacement: with `replacement_warranty: new` it
has its own warranty from that day, with `original` it keeps the rest of the piece it replaced.

Days are counted as indices from the scenario's first day; the piece is under warranty while the day of
the failure comes before the day `warranty_months` after its delivery (31 Jan + 1 month → 28/29 Feb,
as `contracts.month.add_months`).
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import numpy as np

from contracts.calendar import local_epoch
from sim.scenario import WarrantyOfReplacement


@lru_cache(maxsize=8)
def midnights(start: date, days: int) -> np.ndarray:
    """Epoch seconds of the local (Paris) midnight of each of the `days` days from `start` (computed once
    per scenario and worker: every replication asks for the same days)."""
    base = np.datetime64(start, "D")
    return np.array(
        [local_epoch(d) for d in (base + np.arange(days)).astype("datetime64[D]").tolist()], dtype=np.int64
    )


def day_index(midnight: np.ndarray, epoch: np.ndarray) -> np.ndarray:
    """The index of the local day of each instant (epoch seconds) in `midnight`."""
    return np.searchsorted(midnight, epoch, side="right") - 1


def add_months(start: date, day: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Day indices `months` calendar months after day indices `day` (the day clamped to the month's end)."""
    base = np.datetime64(start, "D")
    d = base + day.astype(np.int64)
    m = d.astype("datetime64[M]")
    target = m + months.astype(np.int64)
    last = (target + 1).astype("datetime64[D]") - 1
    out = np.minimum(target.astype("datetime64[D]") + (d - m.astype("datetime64[D]")), last)
    return (out - base).astype(np.int64)


def under_warranty(
    start: date,
    comp: np.ndarray,
    failed_day: np.ndarray,
    replaced_day: np.ndarray,
    delivered_day: np.ndarray,
    months: np.ndarray,
    rule: WarrantyOfReplacement,
) -> np.ndarray:
    """1 when the replaced piece was under warranty at its failure, else 0 (int8), per replacement.

    `comp`, `failed_day`, `replaced_day`: the replacements, each component's in the order they happened
    (`RawRun.replacements`); `delivered_day`, `months`: the original delivery and the warranty length of
    each replacement's component. Under `new`, a component replaced before this failure carries the piece
    of its previous replacement, delivered on that day.
    """
    delivered = delivered_day.astype(np.int64).copy()
    if rule is WarrantyOfReplacement.new and len(comp):
        order = np.argsort(comp, kind="stable")
        c = comp[order]
        again = np.flatnonzero(c[1:] == c[:-1]) + 1  # not the component's first replacement
        delivered[order[again]] = replaced_day[order[again - 1]]
    return (failed_day < add_months(start, delivered, months)).astype(np.int8)
