"""The SimPy model of one replication: component failures, common-cause events, crews and repairs.

Only components that fail get a process: first failure times are drawn for every component in bulk with
numpy and a process is started for those that fall inside the horizon; after a repair the next time to
failure is drawn for that component alone (an alternating renewal process per component). Site-level
outages are not simulated event by event: they follow from the component down intervals and the
topology table (`sim.outages`), which keeps handset failures — partial degradations — cheap.

Failures and repairs draw from separate streams: every failure draw (first failures, each component's
later times to failure and causes, platform outages, storms) comes from the failure stream `rng_first`,
in an order fixed before the run; the repairs draw from `rng`, one stream per crew (provider and region)
consumed in the order of that crew's repairs. So replication r of two sweep points that differ in crews
or repair times fails the same way, and a change to one region's crews leaves the other crews' repairs
alone (common random numbers).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import accumulate

import numpy as np
import simpy

from contracts.calendar import PARIS, local_epoch
from contracts.choices import Cause
from sim.choices import DEFAULT_CAUSE, SITE_KINDS, Distribution, DurationLaw, Kind
from sim.clock import BusinessClock
from sim.fleet import Fleet
from sim.scenario import Duration, FailureLaw, Scenario

DEFAULT_ON_SITE = Duration(mean_minutes=120)


@dataclass
class RawRun:
    """What the model produced: component down intervals and platform (shared) down intervals."""

    intervals: list[tuple[int, float, float, str]] = field(default_factory=list)  # comp, down, up, cause
    platform: list[tuple[float, float, str]] = field(default_factory=list)  # down, up, cause
    # comp, diagnosed, replaced, the index in `intervals` of the failure (its down instant, its cause)
    replacements: list[tuple[int, float, float, int]] = field(default_factory=list)
    events: int = 0  # SimPy events processed


def mean_minutes(law: FailureLaw) -> float:
    """Mean time to failure in minutes."""
    return law.mtbf_hours * 60.0


def buffered(draw_block):
    """Return a function serving scalar draws from blocks drawn in bulk (numpy's per-call overhead
    dominates a scalar draw). Deterministic: fixed block size, draws consumed in event order."""

    def blocks():
        while True:
            yield from draw_block(BLOCK).tolist()

    return blocks().__next__


BLOCK = 256


def ttf_sampler(rng: np.random.Generator, law: FailureLaw):
    """Return (draw one, draw n) time-to-failure samplers in minutes; Weibull scaled to the same mean."""
    mean = mean_minutes(law)
    if law.distribution is Distribution.exponential:

        def bulk(n):
            return rng.exponential(mean, n)
    else:
        k = law.shape
        scale = mean / math.gamma(1.0 + 1.0 / k)

        def bulk(n):
            return scale * rng.weibull(k, n)

    return buffered(bulk), bulk


def duration_sampler(rng: np.random.Generator, d: Duration):
    """Return a function drawing one duration in minutes."""
    m = d.mean_minutes
    if d.law is DurationLaw.fixed or m == 0:
        return lambda: m
    return buffered(lambda n: rng.exponential(m, n))


def duration_draws(rng: np.random.Generator, d: Duration, n: int) -> np.ndarray:
    """`n` successive draws of `duration_sampler(rng, d)` at once (the same blocks of BLOCK draws)."""
    m = d.mean_minutes
    if d.law is DurationLaw.fixed or m == 0:
        return np.full(n, float(m))
    blocks = [rng.exponential(m, BLOCK) for _ in range(-(-n // BLOCK))]
    return np.concatenate(blocks)[:n] if blocks else np.zeros(0)


def uniform_sampler(rng: np.random.Generator) -> Callable[[], float]:
    """Uniform [0, 1) draws, buffered."""
    return buffered(rng.random)


def cause_sampler(u: Callable[[], float], law: FailureLaw, kind: Kind):
    """Return a function drawing the cause recorded for one failure of `kind` from uniforms `u`."""
    if not law.causes:
        c = DEFAULT_CAUSE[kind].value
        return lambda: c
    names = [c.value for c in law.causes]
    cum = list(accumulate(law.causes.values()))
    return lambda: names[min(bisect_right(cum, u()), len(names) - 1)]


def draws_per_component(law: FailureLaw, horizon: float, components: int) -> int:
    """Times to failure drawn ahead for each component: its expected failures over the horizon plus four
    standard deviations (a component needing more gets its own generator), within a memory budget."""
    m = horizon / mean_minutes(law)
    return max(1, min(math.ceil(m + 4 * math.sqrt(m)) + 2, 4_000_000 // max(components, 1)))


def maintenance_intervals(scenario: Scenario, origin: int, horizon: float) -> list[tuple[float, float, str]]:
    """Planned platform maintenance windows (local wall-clock, so DST-safe), cause `maintenance`."""
    m = scenario.maintenance
    if m is None:
        return []
    out = []
    first = m.first.astimezone(PARIS)  # local wall clock of the window
    minute = first.hour * 60 + first.minute
    d = first.date()
    while True:
        t = (local_epoch(d, minute) - origin) / 60.0
        if t >= horizon:
            return out
        if t >= 0:
            out.append((t, t + m.duration_minutes, Cause.maintenance.value))
        d += timedelta(days=m.every_days)


class Crew:
    """The technicians of one provider in one region: `simpy.Resource`'s request/release semantics at a
    fraction of its cost (the crew cycle runs for every visit of the fleet).

    The same events are scheduled in the same order as with `simpy.Resource`, so the random draws, which
    depend on the order in which processes resume, are unchanged: a request is granted (an event
    scheduled now) when a technician is free and the request heads the queue; a release schedules an
    event now whose processing grants the head of the queue.
    """

    __slots__ = ("_env", "_capacity", "_users", "_queue")

    def __init__(self, env: simpy.Environment, capacity: int) -> None:
        self._env, self._capacity, self._users = env, capacity, 0
        self._queue: deque[simpy.Event] = deque()

    def request(self) -> simpy.Event:
        """An event that succeeds when a technician is assigned (first come, first served)."""
        ev = simpy.Event(self._env)
        self._queue.append(ev)
        self._grant(None)
        return ev

    def release(self) -> None:
        """Free a technician; the next in the queue gets one when this event is processed."""
        self._users -= 1
        ev = simpy.Event(self._env)
        ev.callbacks.append(self._grant)
        ev.succeed()

    def _grant(self, _event: simpy.Event | None) -> None:
        if self._queue and self._users < self._capacity:
            self._users += 1
            self._queue.popleft().succeed()


class FleetModel:
    """One replication's SimPy environment over a fleet."""

    def __init__(
        self,
        scenario: Scenario,
        fleet: Fleet,
        active_from: np.ndarray,
        clocks: list[BusinessClock],
        rng_first: np.random.Generator,
        rng: np.random.Generator,
    ) -> None:
        """`active_from[site]`: service start in minutes (inf: never); `clocks[group]`: crews' window."""
        self.s = scenario
        self.fleet = fleet
        self.active_from = active_from
        self.clocks = clocks
        self.rng_first = rng_first
        self.rng = rng
        self.env = simpy.Environment()
        self.horizon = scenario.duration_days * 1440.0
        self.origin = local_epoch(scenario.start)
        self.out = RawRun()
        self.busy: set[int] = set()
        rep = scenario.repair
        crews: dict[tuple[str, str], Crew] = {}
        self.group_crew = []
        for g in scenario.site_groups:
            key = (g.profile, g.region)  # each provider has its own crews in each region
            if key not in crews:
                crews[key] = Crew(self.env, rep.crews[g.region])
            self.group_crew.append(crews[key])
        self.comp_group = fleet.group[fleet.comp_site].tolist()
        self.comp_kind = fleet.comp_kind.tolist()
        laws: dict[Kind, FailureLaw | None] = {
            Kind.access_link: scenario.failures.access_link,
            Kind.backup_link: scenario.failures.backup_link,
            Kind.router: scenario.failures.router,
            Kind.handset: scenario.failures.handset,
        }
        self.laws = laws
        self.remote = [rep.remote_share.get(k, 0.0) for k in SITE_KINDS]
        self.spare = [rep.spare_part_hours.get(k, 0.0) * 60.0 for k in SITE_KINDS]
        # one repair stream per crew (provider, region): a crew's draws follow its own repairs only
        entropy = int(rng.integers(2**63))
        repairs = {}
        for j, key in enumerate(crews):
            r = np.random.default_rng(np.random.SeedSequence(entropy, spawn_key=(j,)))
            repairs[key] = (
                duration_sampler(r, scenario.notification),
                duration_sampler(r, rep.diagnosis),
                uniform_sampler(r),
                duration_sampler(r, rep.travel),
                [duration_sampler(r, rep.on_site.get(k, DEFAULT_ON_SITE)) for k in SITE_KINDS],
            )
        self.group_repairs = [repairs[(g.profile, g.region)] for g in scenario.site_groups]

    # ----- processes ------------------------------------------------------------------------------
    def _repair(self, code: int, group: int, visit: bool):
        """Notification, remote diagnosis (a remote fix for a share unless `visit`), spare part, then a
        crew visit. Used for storm damage; `_life` runs the same steps inline for ordinary failures."""
        env = self.env
        clock = self.clocks[group]
        notify, diagnose, uniform, travel, on_site = self.group_repairs[group]
        d = notify()
        if d > 0:
            yield env.timeout(d)
        end = clock.add(env.now, diagnose())
        if end > env.now:
            yield env.timeout(end - env.now)
        if not visit and uniform() < self.remote[code]:
            return
        if self.spare[code]:
            yield env.timeout(self.spare[code])
        crew = self.group_crew[group]
        req = crew.request()
        yield req
        end = clock.add(env.now, travel() + on_site[code]())
        if end > env.now:
            yield env.timeout(end - env.now)
        crew.release()

    def _dispatch(self, order: list[tuple[float, int]]):
        """Start each component's life at its first failure, in time order.

        One process releasing failures keeps SimPy's event heap as small as the repairs under way,
        instead of holding a pending timeout for every component of the fleet.
        """
        env = self.env
        timeout, process, life = env.timeout, env.process, self._life
        for t, cid in order:
            if t > env.now:
                yield timeout(t - env.now)
            process(life(cid, t))

    def _life(self, cid: int, t: float):
        """Alternate failures and repairs of one component until its next failure is past the horizon.

        Started by `_dispatch` at its first failure `t`. The repair is `_repair` written inline: this
        loop runs for every failure of the fleet.
        """
        env = self.env
        timeout = env.timeout
        code = self.comp_kind[cid]
        group = self.comp_group[cid]
        ttf, cause = self._failure_draws(cid)
        busy, out, horizon, replaced = self.busy, self.out.intervals, self.horizon, self.out.replacements
        add = self.clocks[group].add
        notify, diagnose, uniform, travel, on_sites = self.group_repairs[group]
        remote, spare, on_site = self.remote[code], self.spare[code], on_sites[code]
        crew = self.group_crew[group]
        while True:
            now = env.now
            if t > now:
                delay = t - now
                yield timeout(delay)
                now = now + delay  # SimPy's own arithmetic: env.now is now exactly this
            if cid in busy:  # already down (storm damage being repaired): this failure is moot
                t = now + ttf()
                if t >= horizon:
                    return
                continue
            busy.add(cid)
            down = now
            c = cause()
            d = notify()
            if d > 0:
                yield timeout(d)
                now = now + d
            end = add(now, diagnose())
            if end > now:
                delay = end - now
                yield timeout(delay)
                now = now + delay
            if uniform() >= remote:
                diagnosed = now
                if spare:
                    yield timeout(spare)
                req = crew.request()
                yield req
                now = env.now  # after waiting for a crew
                end = add(now, travel() + on_site())
                if end > now:
                    delay = end - now
                    yield timeout(delay)
                    now = now + delay
                crew.release()
                if spare:
                    replaced.append((cid, diagnosed, now, len(out)))  # its interval is appended next
            busy.discard(cid)
            out.append((cid, down, now, c))
            t = now + ttf()
            if t >= horizon:
                return

    def _failure_draws(self, cid: int) -> tuple[Callable[[], float], Callable[[], str]]:
        """(next time to failure, cause of the next failure) of one component: its own row of the bulk
        draws of the failure stream, then a generator of its own. Never the repair stream, so replication
        r of any sweep point fails the same way whatever the crews (common random numbers)."""
        code = self.comp_kind[cid]
        kind = SITE_KINDS[code]
        law = self.laws[kind]
        row = int(self.row[cid])

        def own(rows: np.ndarray, stream: int, bulk) -> Callable[[], float]:
            def draws():
                yield from rows[row].tolist()
                rng = self.own_rng(stream, cid)
                while True:
                    yield from bulk(rng, BLOCK).tolist()

            return draws().__next__

        ttf = own(self.later[code], 2, lambda rng, n: ttf_sampler(rng, law)[1](n))
        if not law.causes:
            return ttf, cause_sampler(lambda: 0.0, law, kind)
        return ttf, cause_sampler(own(self.cause_u[code], 3, lambda rng, n: rng.random(n)), law, kind)

    def own_rng(self, *key: int) -> np.random.Generator:
        """A generator of the failure stream's own (platform 0, storms 1, a component's 2/3 + id)."""
        return np.random.default_rng(np.random.SeedSequence(self.entropy, spawn_key=key))

    def _storm_repair(self, cid: int):
        down = self.env.now
        yield from self._repair(self.comp_kind[cid], self.comp_group[cid], True)
        self.busy.discard(cid)
        self.out.intervals.append((cid, down, self.env.now, Cause.force_majeure.value))

    def _storms(self):
        """Regional storms: force majeure cutting both links of a share of the sites of a region."""
        env, rng, fleet = self.env, self.own_rng(1), self.fleet
        occ = []
        for si, st in enumerate(self.s.storms):
            t = 0.0
            mean = 525_960.0 / st.rate_per_year  # minutes per year / rate
            while True:
                t += rng.exponential(mean)
                if t >= self.horizon:
                    break
                occ.append((t, si))
        occ.sort()
        region = np.array([g.region for g in self.s.site_groups])[fleet.group]
        offsets = np.concatenate(([0], np.cumsum(2 + fleet.backup.astype(np.int64) + fleet.handsets)[:-1]))
        for t, si in occ:
            yield env.timeout(t - env.now)
            st = self.s.storms[si]
            reg = st.regions[int(rng.integers(len(st.regions)))]
            cand = np.nonzero((region == reg) & (self.active_from <= t))[0]
            hit = cand[rng.random(len(cand)) < st.share_of_sites]
            for s in hit.tolist():
                links = [int(offsets[s])] + ([int(offsets[s]) + 1] if fleet.backup[s] else [])
                for cid in links:
                    if cid not in self.busy:
                        self.busy.add(cid)
                        env.process(self._storm_repair(cid))

    def _platform(self):
        """Platform outages as an alternating renewal process: up ~ exp(1/rate), down ~ duration."""
        po = self.s.platform_outage
        env, rng = self.env, self.own_rng(0)
        mean_up = 525_960.0 / po.rate_per_year
        dur = duration_sampler(rng, po.duration)
        t = 0.0
        while True:
            t += rng.exponential(mean_up)
            if t >= self.horizon:
                return
            yield env.timeout(t - env.now)
            yield env.timeout(dur())
            self.out.platform.append((t, env.now, Cause.network.value))
            t = env.now

    # ----- run ------------------------------------------------------------------------------------
    def run(self) -> RawRun:
        """Draw first failures in bulk, start the processes, run to completion."""
        fleet, env = self.fleet, self.env
        starts = self.active_from[fleet.comp_site]
        first = np.full(len(fleet.comp_site), np.inf)
        for k in SITE_KINDS:
            law = self.laws[k]
            idx = fleet.components_of(k)
            if law is None or not len(idx):
                continue
            first[idx] = starts[idx] + ttf_sampler(self.rng_first, law)[1](len(idx))
        # then, from the same failure stream, what each component draws after its repairs
        self.row = np.zeros(len(fleet.comp_site), dtype=np.int64)
        self.later: list[np.ndarray] = [np.zeros((0, 0))] * len(SITE_KINDS)
        self.cause_u = list(self.later)
        for code, k in enumerate(SITE_KINDS):
            law = self.laws[k]
            idx = fleet.components_of(k)
            if law is None or not len(idx):
                continue
            self.row[idx] = np.arange(len(idx))
            ahead = draws_per_component(law, self.horizon, len(idx))
            self.later[code] = ttf_sampler(self.rng_first, law)[1](len(idx) * ahead).reshape(len(idx), ahead)
            if law.causes:
                self.cause_u[code] = self.rng_first.random((len(idx), ahead + 1))
        self.entropy = int(self.rng_first.integers(2**63))
        failing = np.nonzero(first < self.horizon)[0]
        order = np.argsort(first[failing], kind="stable")
        env.process(
            self._dispatch(list(zip(first[failing][order].tolist(), failing[order].tolist(), strict=True)))
        )
        if self.s.platform_outage is not None:
            env.process(self._platform())
        if self.s.storms:
            env.process(self._storms())
        env.run()
        self.out.platform.extend(maintenance_intervals(self.s, self.origin, self.horizon))
        self.out.platform.sort()
        self.out.events = next(env._eid)  # SimPy's event counter: every event ever scheduled
        return self.out
