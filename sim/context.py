"""What every replication of a scenario shares: its random streams, profiles, fleet and calendars.

Built once per worker process (`context`); the streams come from the scenario seed and the replication
index only (numpy SeedSequence), so a result does not depend on which worker ran it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import numpy as np

from contracts.calendar import BusinessCalendar, local_epoch
from contracts.choices import CAUSES
from contracts.profile import Profile, load_profile
from sim.billing import end_date
from sim.choices import SITE_KINDS, Kind, RepairWindow
from sim.clock import BusinessClock
from sim.fleet import Fleet, build_fleet
from sim.scenario import Scenario

# New streams go at the end: a child's seed depends on its position only, so the others keep their draws.
STREAMS = (
    "installs",
    "first_failures",
    "dynamics",
    "notification",
    "porting",
    "billing",
    "appointments",  # install cancellations
    "changes",  # moves and terminations
    "tickets",  # detections and requests awaiting the customer (`sim.ticketing`)
)


CAUSE_CODE = {c: i for i, c in enumerate(CAUSES)}


def replication_rngs(seed: int, index: int) -> dict[str, np.random.Generator]:
    """Independent generators of replication `index` (child `index` of SeedSequence(seed), whatever N)."""
    children = np.random.SeedSequence(seed, spawn_key=(index,)).spawn(len(STREAMS))
    return {name: np.random.default_rng(ss) for name, ss in zip(STREAMS, children, strict=True)}


def stream(seed: int, index: int, name: str) -> np.random.SeedSequence:
    """The seed sequence of stream `name` of replication `index` (what `replication_rngs` draws from)."""
    return np.random.SeedSequence(seed, spawn_key=(index, STREAMS.index(name)))


def scenario_profiles(s: Scenario) -> dict[str, Profile]:
    """Load the scenario's profiles with its choices (raises InputError on an unknown one)."""
    return {p: load_profile(p, s.profiles[p].set if p in s.profiles else {}) for p in s.profile_names}


@dataclass
class Context:
    """What every replication of a scenario shares (built once per worker process)."""

    s: Scenario
    fleet: Fleet
    profiles: dict[str, Profile]
    clocks: list[BusinessClock]  # per group: the crews' working window
    origin: int
    horizon: float
    end: date
    _calendars: dict[tuple[str, str], BusinessCalendar] = field(default_factory=dict, repr=False)
    _adders: dict[tuple[str, str], Callable[[date, int], date]] = field(default_factory=dict, repr=False)
    _jours: dict[tuple[str, str], Callable[[date, int], date]] = field(default_factory=dict, repr=False)
    _lookups: Lookups | None = field(default=None, repr=False)

    def calendar(self, profile: str, departement: str) -> BusinessCalendar:
        """The business calendar of a site of `profile` in `departement` (looked up once)."""
        key = (profile, departement)
        cal = self._calendars.get(key)
        if cal is None:
            cal = self._calendars[key] = self.profiles[profile].calendar(departement)
        return cal

    def add_business_days(self, profile: str, departement: str) -> Callable[[date, int], date]:
        """`calendar(profile, departement).add_business_days`, remembered: most sites of a fleet start
        on the same few days, so the same sums come back thousands of times."""
        key = (profile, departement)
        add = self._adders.get(key)
        if add is None:
            add = self._adders[key] = lru_cache(maxsize=4096)(
                self.calendar(profile, departement).add_business_days
            )
        return add

    def add_jours_ouvrables(self, profile: str, departement: str) -> Callable[[date, int], date]:
        """`Profile.jours_ouvrables(departement).add_business_days` (ARCEP 2013-0830), remembered."""
        key = (profile, departement)
        add = self._jours.get(key)
        if add is None:
            cal = self.profiles[profile].jours_ouvrables(departement)
            add = self._jours[key] = lru_cache(maxsize=4096)(cal.add_business_days)
        return add

    def lookups(self) -> Lookups:
        """The fleet's texts, built on first use."""
        if self._lookups is None:
            f = self.fleet
            deps = [g.departement for g in f.groups]
            self._lookups = Lookups(
                np.array(f.sites, dtype=object),
                np.array(site_profiles(self), dtype=object),
                np.array(deps, dtype=object)[f.group],
                np.array(component_names(f), dtype=object),
                np.array([k.value for k in SITE_KINDS], dtype=object),
            )
        return self._lookups


_CONTEXTS: dict[str, Context] = {}


def context(s: Scenario) -> Context:
    """Build (or reuse) the shared context of a scenario."""
    key = s.model_dump_json()
    ctx = _CONTEXTS.get(key)
    if ctx is None:
        profiles = scenario_profiles(s)
        days = s.duration_days + 400  # repairs may end after the horizon
        cache: dict[tuple[str, str], BusinessClock] = {}
        clocks = []
        for g in s.site_groups:
            k = (g.profile, g.departement)
            if k not in cache:
                cal = (
                    None
                    if s.repair.window is RepairWindow.always
                    else profiles[g.profile].calendar(g.departement)
                )
                cache[k] = BusinessClock(cal, s.start, days)
            clocks.append(cache[k])
        ctx = Context(
            s,
            build_fleet(s),
            profiles,
            clocks,
            local_epoch(s.start),
            s.duration_days * 1440.0,
            end_date(s.start, s.duration_days),
        )
        _CONTEXTS.clear()
        _CONTEXTS[key] = ctx
    return ctx


def as_of_epoch(ctx: Context) -> int:
    """The statements' --as-of: the end of the scenario (open tickets are counted up to it)."""
    return ctx.origin + round(ctx.horizon * 60)


def component_names(fleet: Fleet) -> list[str]:
    out = []
    kinds = fleet.comp_kind.tolist()
    sites = fleet.comp_site.tolist()
    h = 0
    prev = -1
    for s, k in zip(sites, kinds, strict=True):
        if s != prev:
            h, prev = 0, s
        kind = SITE_KINDS[k]
        if kind is Kind.handset:
            h += 1
            out.append(f"{fleet.sites[s]}/handset-{h:03d}")
        else:
            out.append(f"{fleet.sites[s]}/{kind.value}")
    return out


@dataclass(frozen=True)
class Lookups:
    """Texts of the fleet's sites and components as object arrays (picked by index array at once)."""

    site: np.ndarray
    profile: np.ndarray
    departement: np.ndarray
    component: np.ndarray
    kind: np.ndarray


def _per_site(ctx: Context, key: str, of) -> list[str]:
    """`of(site)` for every site of the fleet, computed once per context (kept on it under `key`)."""
    values = ctx.__dict__.get(key)
    if values is None:
        values = ctx.__dict__[key] = [of(i) for i in range(len(ctx.fleet))]
    return values


def site_profiles(ctx: Context) -> list[str]:
    """Each site's profile name, in fleet order."""
    return _per_site(ctx, "_profiles", ctx.fleet.profile)


def site_topologies(ctx: Context) -> list[str]:
    """Each site's topology name, in fleet order."""
    return _per_site(ctx, "_topologies", ctx.fleet.topology)
