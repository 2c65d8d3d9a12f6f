"""From component down intervals to site outages (ground truth) and the provider's tickets.

A sweep per site over the down/up instants of its components and of the shared platform; the site is
totally unavailable while its down-mask is in the topology's table (`sim.topology.down_table`). The
outage's cause is that of the failure that made the site go down.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from contracts.choices import Cause
from sim.choices import SITE_KINDS
from sim.fleet import Fleet
from sim.model import RawRun
from sim.topology import BIT, down_table

_NODE_OF_KIND = [BIT[k.value] if k.value in BIT else BIT["handsets"] for k in SITE_KINDS]
_PLATFORM = BIT["platform"]
_HANDSETS = BIT["handsets"]


class Outage(NamedTuple):
    """A total unavailability of one site."""

    site: int
    start: float
    end: float
    cause: str
    kind: str  # kind of the component whose failure made the site go down


@dataclass
class Sweep:
    """Outages (sorted by site, start) and which component/platform intervals took part in one."""

    outages: list[Outage]
    comp_total: np.ndarray  # per RawRun.intervals entry: 1 when the site was down meanwhile
    platform_total: np.ndarray  # per RawRun.platform entry


def sweep(fleet: Fleet, active_from: np.ndarray, raw: RawRun) -> Sweep:
    """Compute every site's outages from the raw intervals."""
    by_site: dict[int, list[int]] = defaultdict(list)
    comp_site = fleet.comp_site.tolist()
    for i, (cid, _d, _u, _c) in enumerate(raw.intervals):
        by_site[comp_site[cid]].append(i)
    comp_total = np.zeros(len(raw.intervals), dtype=np.int8)
    plat_total = np.zeros(len(raw.platform), dtype=np.int8)
    outages: list[Outage] = []
    plat = raw.platform
    tables = {True: down_table(True), False: down_table(False)}
    kinds = fleet.comp_kind.tolist()
    backup = fleet.backup.tolist()
    handsets = fleet.handsets.tolist()
    # Events are (time, 0 = up before 1 = down, tiebreak, node bit, interval ref); the platform part is
    # shared by every site in service from the start, and so are the outages of a site with no failure.
    base = []
    for j, (d, u, _c) in enumerate(plat):
        base += [(d, 1, -1 - j, _PLATFORM, -1 - j), (u, 0, -1 - j, _PLATFORM, -1 - j)]
    base.sort()
    base_outages: list[Outage] | None = None
    for s, a in enumerate(active_from.tolist()):
        if a == np.inf:
            continue
        mine = by_site.get(s)
        if a <= 0.0 and not mine:
            if base_outages is None:
                base_outages = _site_sweep(base, s, 1, tables[False], kinds, raw, comp_total, plat_total)
            outages.extend(o._replace(site=s) for o in base_outages)
            continue
        if a <= 0.0:
            ev = list(base)
        else:
            ev = []
            for j, (d, u, _c) in enumerate(plat):
                if u > a:
                    ev += [(max(d, a), 1, -1 - j, _PLATFORM, -1 - j), (u, 0, -1 - j, _PLATFORM, -1 - j)]
        for i in mine or ():
            cid, d, u, _c = raw.intervals[i]
            node = _NODE_OF_KIND[kinds[cid]]
            ev += [(d, 1, cid, node, i), (u, 0, cid, node, i)]
        if ev:
            ev.sort()
            outages += _site_sweep(ev, s, handsets[s], tables[backup[s]], kinds, raw, comp_total, plat_total)
    return Sweep(outages, comp_total, plat_total)


def _site_sweep(ev, s: int, n_hand: int, table, kinds, raw: RawRun, comp_total, plat_total) -> list[Outage]:
    """Walk one site's sorted events; return its outages and flag the intervals that took part."""
    out: list[Outage] = []
    count: dict[int, int] = defaultdict(int)
    current: set[int] = set()
    hand_down = mask = 0
    down_since = None
    cause = kind = ""
    for t, typ, _tb, node, ref in ev:
        if typ:
            current.add(ref)
            if node == _HANDSETS:
                hand_down += 1
                if hand_down == n_hand:
                    mask |= node
            else:
                count[node] += 1
                mask |= node
            if down_since is None and table[mask]:
                down_since = t
                if ref < 0:
                    cause, kind = raw.platform[-1 - ref][2], "platform"
                else:
                    cause, kind = raw.intervals[ref][3], SITE_KINDS[kinds[raw.intervals[ref][0]]].value
                for r in current:
                    _mark(r, comp_total, plat_total)
            elif down_since is not None:
                _mark(ref, comp_total, plat_total)
        else:
            current.discard(ref)
            if node == _HANDSETS:
                hand_down -= 1
                mask &= ~node
            else:
                count[node] -= 1
                if not count[node]:
                    mask &= ~node
            if down_since is not None and not table[mask]:
                if t > down_since:
                    out.append(Outage(s, down_since, t, cause, kind))
                down_since = None
    return out


def _mark(ref: int, comp_total: np.ndarray, plat_total: np.ndarray) -> None:
    if ref >= 0:
        comp_total[ref] = 1
    else:
        plat_total[-1 - ref] = 1


class Ticket(NamedTuple):
    """An incident ticket as the provider records it."""

    ticket: str
    site: int
    notified: float
    restored: float | None  # None: still open at the end of the scenario
    cause: str
    outage: Outage


def tickets(outages: list[Outage], notify, horizon: float, replication: int) -> list[Ticket]:
    """The customer notifies `notify()` minutes after the site goes down; no ticket if it came back first.

    Planned maintenance is announced by the provider, so its ticket opens at its start. A ticket still
    open at the end of the scenario has no restoration time.
    """
    out = []
    planned = Cause.maintenance.value
    prefix = f"R{replication:03d}-"
    for o in outages:
        n = o.start if o.cause == planned else o.start + notify()
        if n >= o.end or n >= horizon:
            continue
        end = o.end if o.end <= horizon else None
        out.append(Ticket(f"{prefix}{len(out) + 1:06d}", o.site, n, end, o.cause, o))
    return out
