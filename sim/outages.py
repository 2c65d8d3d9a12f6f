"""From component down intervals to site outages (ground truth) and the provider's tickets.

A sweep per site over the down/up instants of its components and of the shared platform; the site is
totally unavailable while its down-mask is in the topology's table (`sim.topology.down_table`). The
outage's cause is that of the failure that made the site go down.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from contracts.causes import Cause
from sim.choices import SITE_KINDS
from sim.fleet import Fleet
from sim.model import RawRun
from sim.topology import BIT, down_table

_NODE_OF_KIND = [BIT[k.value] if k.value in BIT else BIT["handsets"] for k in SITE_KINDS]
_PLATFORM = BIT["platform"]
_HANDSETS = BIT["handsets"]


@dataclass(frozen=True)
class Outage:
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
    comp_site = fleet.comp_site
    for i, (cid, _d, _u, _c) in enumerate(raw.intervals):
        by_site[int(comp_site[cid])].append(i)
    comp_total = np.zeros(len(raw.intervals), dtype=np.int8)
    plat_total = np.zeros(len(raw.platform), dtype=np.int8)
    outages: list[Outage] = []
    plat = raw.platform
    tables = {True: down_table(True), False: down_table(False)}
    kinds = fleet.comp_kind
    for s in range(len(fleet)):
        a = float(active_from[s])
        if a == np.inf:
            continue
        ev = []  # (time, 0 = up first | 1 = down, tiebreak, node bit, interval ref)
        for j, (d, u, _c) in enumerate(plat):
            if u > a:
                ev.append((max(d, a), 1, -1 - j, _PLATFORM, -1 - j))
                ev.append((u, 0, -1 - j, _PLATFORM, -1 - j))
        for i in by_site.get(s, ()):
            cid, d, u, _c = raw.intervals[i]
            node = _NODE_OF_KIND[kinds[cid]]
            ev.append((d, 1, cid, node, i))
            ev.append((u, 0, cid, node, i))
        if not ev:
            continue
        ev.sort()
        table = tables[bool(fleet.backup[s])]
        n_hand = int(fleet.handsets[s])
        count = defaultdict(int)
        active: set[int] = set()
        hand_down = 0
        mask = 0
        down_since = None
        cause = kind = ""
        for t, typ, _tb, node, ref in ev:
            if typ:
                active.add(ref)
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
                        cause, kind = plat[-1 - ref][2], "platform"
                    else:
                        cause, kind = raw.intervals[ref][3], SITE_KINDS[kinds[raw.intervals[ref][0]]].value
                    for r in active:
                        _mark(r, comp_total, plat_total)
                elif down_since is not None:
                    _mark(ref, comp_total, plat_total)
            else:
                active.discard(ref)
                if node == _HANDSETS:
                    hand_down -= 1
                    mask &= ~node
                else:
                    count[node] -= 1
                    if not count[node]:
                        mask &= ~node
                if down_since is not None and not table[mask]:
                    if t > down_since:
                        outages.append(Outage(s, down_since, t, cause, kind))
                    down_since = None
    return Sweep(outages, comp_total, plat_total)


def _mark(ref: int, comp_total: np.ndarray, plat_total: np.ndarray) -> None:
    if ref >= 0:
        comp_total[ref] = 1
    else:
        plat_total[-1 - ref] = 1


@dataclass(frozen=True)
class Ticket:
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
    for o in outages:
        d = 0.0 if o.cause == Cause.maintenance.value else notify()
        n = o.start + d
        if n >= o.end or n >= horizon:
            continue
        out.append(
            Ticket(
                f"R{replication:03d}-{len(out) + 1:06d}",
                o.site,
                n,
                o.end if o.end <= horizon else None,
                o.cause,
                o,
            )
        )
    return out
