"""Tickets as providers record them: who opened them, requests awaiting the customer, replacements and
the warranty of the replaced equipment, and the objectives checked on them by the contracts kernel.

Every draw here comes from the replication's own `tickets` stream, split into one child per kind of draw
(SeedSequence spawn keys), never from the failure, repair or notification streams: a scenario that
records tickets differently fails and is repaired exactly as one that does not (common random numbers),
and a change to the pending share leaves the detections alone.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from contracts.choices import CAUSES
from contracts.profile import Profile
from contracts.records import NAT, Incidents
from sim.fleet import Fleet
from sim.model import RawRun, duration_draws
from sim.outages import Fixes, PendingDraws
from sim.scenario import Scenario, TicketRecording, has_non_response_rule
from sim.warranty import day_index, midnights, under_warranty

#: Children of a replication's `tickets` stream, one per kind of draw.
TICKET_STREAMS = ("detection", "pending")


def ticket_rngs(stream: np.random.SeedSequence) -> dict[str, np.random.Generator]:
    """The generators of the tickets' draws, children of the replication's `tickets` stream."""
    kids = stream.spawn(len(TICKET_STREAMS))
    return {name: np.random.default_rng(ss) for name, ss in zip(TICKET_STREAMS, kids, strict=True)}


def detections(rec: TicketRecording, rng: np.random.Generator, n: int) -> np.ndarray | None:
    """Minutes from each of the `n` unplanned outages' start to its detection by the provider's
    supervision (NaN: not caught); None when supervision catches nothing (001 §4 (i), 002 §4)."""
    if rec.provider_detected == 0:
        return None
    caught = rng.random(n) < rec.provider_detected
    return np.where(caught, duration_draws(rng, rec.detection, n), np.nan)


def pending_draws(rec: TicketRecording, rng: np.random.Generator, n: int) -> PendingDraws:
    """One draw of each per ticket for `sim.outages.wait_for_customer` (none when no ticket waits)."""
    p = rec.pending
    if p.share == 0:
        empty = np.zeros(0)
        return PendingDraws(0.0, 0.0, empty, empty, empty, empty)
    u_wait = rng.random(n)
    after = duration_draws(rng, p.after, n)
    answer = duration_draws(rng, p.answer, n)
    return PendingDraws(p.share, p.never_answers, u_wait, after, answer, rng.random(n))


def waiting_profiles(profiles: dict[str, Profile]) -> set[str]:
    """Profiles whose tickets may wait for the customer: those with the non-response rule (002 §4)."""
    return {name for name, p in profiles.items() if has_non_response_rule(p)}


@dataclass
class Replacements:
    """Every equipment replacement of a replication (`RawRun.replacements` order), with the warranty
    state of the replaced piece at its failure."""

    comp: np.ndarray  # int64 component
    site: np.ndarray  # int64 fleet site index
    interval: np.ndarray  # int64 index of the failure in RawRun.intervals
    failed: np.ndarray  # float minutes
    diagnosed: np.ndarray  # float minutes: « constatation » of the equipment's failure (001 §4, 002 §4)
    replaced: np.ndarray  # float minutes
    under_warranty: np.ndarray  # int8 1/0
    cause: np.ndarray  # int8 cause code of the failure

    def __len__(self) -> int:
        return len(self.comp)

    def take(self, idx: np.ndarray) -> Replacements:
        """The replacements at `idx`."""
        return Replacements(*(getattr(self, f.name)[idx] for f in fields(self)))

    def before(self, gone: np.ndarray) -> Replacements:
        """Those diagnosed before their site left service at minute `gone[site]` (as `RawRun`'s)."""
        return self.take(np.flatnonzero(self.diagnosed < gone[self.site]))

    def fixes(self, n_intervals: int) -> Fixes:
        """Per RawRun.intervals entry: its replacement (NaN / -1: none), for `sim.outages.tickets`."""
        out = Fixes(
            np.full(n_intervals, np.nan), np.full(n_intervals, np.nan), np.full(n_intervals, -1, np.int8)
        )
        out.diagnosed[self.interval] = self.diagnosed
        out.replaced[self.interval] = self.replaced
        out.under_warranty[self.interval] = self.under_warranty
        return out


def replacements(
    s: Scenario,
    fleet: Fleet,
    profiles: dict[str, Profile],
    raw: RawRun,
    delivered_day: np.ndarray,
    origin: int,
) -> Replacements:
    """The replacements of `raw` and whether each replaced piece was under warranty when it failed.

    `delivered_day[site]`: the day index (from the scenario's start) its equipment was delivered.
    """
    n = len(raw.replacements)
    cols = [list(c) for c in zip(*raw.replacements, strict=True)] if n else [[], [], [], []]
    comp = np.array(cols[0], dtype=np.int64)
    diagnosed, replaced = np.array(cols[1], dtype=float), np.array(cols[2], dtype=float)
    interval = np.array(cols[3], dtype=np.int64)
    failure = [raw.intervals[k] for k in cols[3]]  # its down interval: (comp, down, up, cause)
    failed = np.array([f[1] for f in failure], dtype=float)
    cause = np.array([CAUSES.index(f[3]) for f in failure], dtype=np.int8)
    site = fleet.comp_site[comp] if n else np.zeros(0, np.int64)
    months = np.array(
        [profiles[g.profile].warranty_length(g.lease_months) for g in fleet.groups],
        dtype=np.int64,
    )[fleet.group[site]]
    midnight = midnights(s.start, s.duration_days + 800)  # repairs may end after the horizon

    def day(minutes: np.ndarray) -> np.ndarray:
        return day_index(midnight, origin + np.rint(minutes * 60).astype(np.int64))

    warranty = under_warranty(
        s.start,
        comp,
        day(failed),
        day(replaced),
        delivered_day[site],
        months,
        s.tickets.replacement_warranty,
    )
    return Replacements(comp, site, interval, failed, diagnosed, replaced, warranty, cause)


def replacement_incidents(
    reps: Replacements, sites: np.ndarray, departement: np.ndarray, epochs
) -> Incidents:
    """The replacements as incident rows (one per replacement, from its failure), so the kernel's
    `check_objectives` measures each against the replacement objective."""
    return Incidents(
        file="<simulation: replacements>",
        ticket=[f"replacement-{k + 1}" for k in range(len(reps))],
        site=sites.tolist(),
        notified=epochs(reps.failed),
        restored=epochs(reps.replaced),
        cause=reps.cause,
        departement=departement.tolist(),
        line=np.arange(2, len(reps) + 2, dtype=np.int64),
        diagnosed_at=epochs(reps.diagnosed),
        replaced_at=epochs(reps.replaced),
        under_warranty=reps.under_warranty,
    )


def within_share(status: np.ndarray) -> float | None:
    """Share of the measured objectives that were met (None when none was measured)."""
    met = int((status == "met").sum())
    missed = int((status == "missed").sum())
    return met / (met + missed) if met + missed else None


def first_after(later: np.ndarray, earlier: np.ndarray) -> np.ndarray:
    """`later`, brought up to `earlier` where it comes first (NAT stays NAT): a ticket cannot record a
    diagnosis before it opened, nor a replacement before its diagnosis."""
    return np.where(later == NAT, NAT, np.maximum(later, earlier))
