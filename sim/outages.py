"""From component down intervals to site outages (ground truth) and the provider's tickets.

A sweep per site over the down/up instants of its components and of the shared platform; the site is
totally unavailable while its down-mask is in the topology's table (`sim.topology.down_table`). The
outage's cause is that of the failure that made the site go down.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
_NODE_BITS = tuple(BIT.values())


class Outage(NamedTuple):
    """A total unavailability of one site."""

    site: int
    start: float
    end: float
    cause: str
    kind: str  # kind of the component whose failure made the site go down


@dataclass
class Sweep:
    """Outages as columns (sorted by site, start) and which component/platform intervals took part in one."""

    site: np.ndarray  # int64 fleet site index
    start: np.ndarray  # float minutes
    end: np.ndarray
    cause: np.ndarray  # object: the cause of the failure that made the site go down
    kind: np.ndarray  # object: the kind of that component ("platform" for the platform)
    comp_total: np.ndarray  # per RawRun.intervals entry: 1 when the site was down meanwhile
    platform_total: np.ndarray  # per RawRun.platform entry
    interval: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # that failure's
    # index in RawRun.intervals (-1: the platform)

    @property
    def outages(self) -> list[Outage]:
        """The outages as rows."""
        cols = (
            self.site.tolist(),
            self.start.tolist(),
            self.end.tolist(),
            self.cause.tolist(),
            self.kind.tolist(),
        )
        return [Outage(*row) for row in zip(*cols, strict=True)]

    def __len__(self) -> int:
        return len(self.site)


def sweep(fleet: Fleet, active_from: np.ndarray, raw: RawRun) -> Sweep:
    """Compute every site's outages from the raw intervals, for the whole fleet at once.

    Each site's down and up instants — its components' and the platform's from its service start — are
    sorted by (site, time, up before down, platform first, node, interval). The number of down components
    of each node after each event is a running sum (every interval's down and up belong to the same site,
    so the sums are back to zero at each site's end); the site is down while its mask is in the topology's
    table, which is monotone, so the down state is a function of the mask after each event. An interval
    took part in an outage when the site was down at some event between its down and its up.
    """
    n_c, n_p = len(raw.intervals), len(raw.platform)
    cid, c_down, c_up = (
        np.array(x, dtype=t)
        for x, t in zip(_columns(raw.intervals, 3), (np.int64, float, float), strict=True)
    )
    p_down, p_up = (np.array(x, dtype=float) for x in _columns(raw.platform, 2))
    a = active_from
    live = np.flatnonzero(np.isfinite(a))
    # platform intervals of every site in service, clipped at its service start
    ps, pj = np.nonzero(p_up[None, :] > a[live][:, None]) if n_p else (np.zeros(0, np.int64),) * 2
    ps = live[ps]
    c_site = fleet.comp_site[cid] if n_c else np.zeros(0, np.int64)
    keep = np.isfinite(a[c_site])
    ci = np.flatnonzero(keep)
    node_of_kind = np.array(_NODE_OF_KIND, dtype=np.int64)
    c_node = node_of_kind[fleet.comp_kind[cid[ci]]] if n_c else np.zeros(0, np.int64)
    # one row per interval: site, start, end, tiebreak, node, ref (>= 0 interval, < 0 platform)
    site = np.concatenate([ps, c_site[ci]])
    start = np.concatenate([np.maximum(p_down[pj], a[ps]), c_down[ci]])
    end = np.concatenate([p_up[pj], c_up[ci]])
    ref = np.concatenate([-1 - pj, ci]).astype(np.int64)
    tb = np.concatenate([-1 - pj, cid[ci]]).astype(np.int64)
    node = np.concatenate([np.full(len(pj), _PLATFORM, dtype=np.int64), c_node])
    m = len(site)
    # events: downs then ups of the same rows
    e_site, e_t = np.concatenate([site, site]), np.concatenate([start, end])
    e_typ = np.concatenate([np.ones(m, np.int64), np.zeros(m, np.int64)])
    e_tb, e_node, e_ref = np.concatenate([tb, tb]), np.concatenate([node, node]), np.concatenate([ref, ref])
    order = np.lexsort((e_ref, e_node, e_tb, e_typ, e_t, e_site))
    e_site, e_t, e_typ, e_node, e_ref = e_site[order], e_t[order], e_typ[order], e_node[order], e_ref[order]
    step = np.where(e_typ == 1, 1, -1)
    mask = np.zeros(len(order), dtype=np.int64)
    for bit in _NODE_BITS:
        count = np.cumsum(np.where(e_node == bit, step, 0))
        if bit == _HANDSETS:
            n_hand = fleet.handsets[e_site]
            on = (count == n_hand) & (n_hand > 0)
        else:
            on = count > 0
        mask |= np.where(on, bit, 0)
    tables = np.array([down_table(False), down_table(True)], dtype=bool)
    state = tables[fleet.backup[e_site].astype(np.int64), mask]
    prev = np.concatenate([[False], state[:-1]])
    first = np.concatenate([[True], e_site[1:] != e_site[:-1]])
    prev[first] = False
    starts = np.flatnonzero(state & ~prev)
    ends = np.flatnonzero(~state & prev)  # every episode ends: the site's last event is an up
    # intervals that took part: the site was down at some event in [down, up)
    pos = np.empty(len(order), dtype=np.int64)
    pos[order] = np.arange(len(order))
    below = np.concatenate([[0], np.cumsum(state)])
    took = below[pos[m:]] - below[pos[:m]] > 0
    comp_total = np.zeros(n_c, dtype=np.int8)
    comp_total[ref[took & (ref >= 0)]] = 1
    plat_total = np.zeros(n_p, dtype=np.int8)
    plat_total[-1 - ref[took & (ref < 0)]] = 1
    emitted = e_t[ends] > e_t[starts]
    starts, ends = starts[emitted], ends[emitted]
    r = e_ref[starts]
    comp = np.maximum(r, 0)
    causes = np.array([c for _, _, _, c in raw.intervals] or [""], dtype=object)
    p_causes = np.array([c for _, _, c in raw.platform] or [""], dtype=object)
    kind_text = np.array([k.value for k in SITE_KINDS], dtype=object)
    c_kind = (
        kind_text[fleet.comp_kind[cid[np.minimum(comp, max(n_c - 1, 0))]]] if n_c else np.full(len(r), "")
    )
    plat = r < 0
    return Sweep(
        e_site[starts],
        e_t[starts],
        e_t[ends],
        np.where(plat, p_causes[np.maximum(-1 - r, 0)], causes[comp]),
        np.where(plat, "platform", c_kind).astype(object),
        comp_total,
        plat_total,
        np.where(plat, -1, r).astype(np.int64),
    )


def _columns(rows: list[tuple], n: int) -> list[list]:
    """The first `n` fields of tuples as lists (empty lists when there is no row)."""
    return [list(c) for c in zip(*rows, strict=True)][:n] if rows else [[] for _ in range(n)]


@dataclass
class Tickets:
    """Incident tickets as the provider records them, as columns in ticket order."""

    ticket: list[str]
    site: np.ndarray  # int64 fleet site index
    notified: np.ndarray  # float minutes: when the ticket opened
    restored: np.ndarray  # float minutes, NaN: still open at the end of the scenario
    cause: np.ndarray  # object: cause codes
    kind: np.ndarray  # object: kind of the component whose failure made the site go down
    provider: np.ndarray  # bool: opened by the provider (caught by supervision, or its planned works)
    pending_since: np.ndarray  # float minutes, NaN: the provider never waited for the customer (002 §4)
    answered_at: np.ndarray  # float minutes, NaN: no answer (yet) at the end of the scenario
    diagnosed: np.ndarray  # float minutes, NaN: that failure's equipment was not replaced
    replaced: np.ndarray  # float minutes, NaN: not replaced
    under_warranty: np.ndarray  # int8 1/0, -1: not replaced

    def __len__(self) -> int:
        return len(self.ticket)


class Fixes(NamedTuple):
    """Per RawRun.intervals entry: the replacement of the failed equipment (NaN / -1: none)."""

    diagnosed: np.ndarray
    replaced: np.ndarray
    under_warranty: np.ndarray  # int8


def tickets(
    sw: Sweep,
    delays,
    horizon: float,
    replication: int,
    detected: np.ndarray | None = None,
    fixes: Fixes | None = None,
) -> Tickets:
    """The customer notifies `delays[k]` minutes after the site goes down (k-th unplanned outage); no
    ticket if it came back first.

    001 §4 (i), 002 §4: the provider's supervision catches the k-th unplanned outage `detected[k]` minutes
    after it starts (NaN: not caught). The ticket opens at whichever comes first, the detection or the
    call, and records who opened it. Planned maintenance is announced by the provider, so its ticket
    opens at its start (and takes no delay). A ticket still open at the end of the scenario has no
    restoration time. With `fixes`, a ticket records the replacement of the equipment whose failure made
    the site go down.
    """
    start, end = sw.start, sw.end
    planned = sw.cause == Cause.maintenance.value
    notified = start.copy()
    provider = planned.copy()
    unplanned = np.flatnonzero(~planned)
    call = start[unplanned] + np.asarray(delays, dtype=float)[: len(unplanned)]
    if detected is not None:
        seen = start[unplanned] + np.where(np.isnan(detected), np.inf, detected)[: len(unplanned)]
        provider[unplanned] = seen <= call
        call = np.minimum(call, seen)
    notified[unplanned] = call
    keep = np.flatnonzero((notified < end) & (notified < horizon))
    prefix = f"R{replication:03d}-"
    restored = np.where(end[keep] <= horizon, end[keep], np.nan)
    none = np.full(len(keep), np.nan)
    fix = Fixes(none, none, np.full(len(keep), -1, np.int8))
    if fixes is not None and len(keep) and len(fixes.diagnosed):
        iv = sw.interval[keep]
        on = iv >= 0  # the platform's outages replace nothing
        j = np.where(on, iv, 0)
        fix = Fixes(*(np.where(on, f[j], e) for f, e in zip(fixes, (np.nan, np.nan, -1), strict=True)))
    return Tickets(
        [f"{prefix}{k:06d}" for k in range(1, len(keep) + 1)],
        sw.site[keep],
        notified[keep],
        restored,
        sw.cause[keep],
        sw.kind[keep],
        provider[keep],
        none.copy(),
        none.copy(),
        fix.diagnosed.astype(float),
        fix.replaced.astype(float),
        fix.under_warranty.astype(np.int8),
    )


def wait_for_customer(
    tks: Tickets, eligible: np.ndarray, draws: PendingDraws, horizon: float
) -> tuple[np.ndarray, np.ndarray]:
    """(pending_since, answered_at) of every ticket, in minutes (NaN: none), for ProgetCom's rule (002 §4).

    Ticket k of the `eligible` ones (a profile with the non-response rule, not planned works) waits for
    the customer when `draws.u_wait[k]` falls under the share: the request goes out `draws.after[k]`
    minutes after the ticket opens, if the site is still down then; the customer answers `draws.answer[k]`
    minutes later unless `draws.u_never[k]` falls under the never-answers share. An answer after the end of
    the scenario is not yet on the ticket. The engine applies the 48-hour rule to these columns.
    """
    n = len(tks)
    since = np.full(n, np.nan)
    answered = np.full(n, np.nan)
    if draws.share == 0 or n == 0:
        return since, answered
    t = tks.notified + draws.after[:n]
    still_down = np.where(np.isnan(tks.restored), horizon, tks.restored)
    waits = eligible & (draws.u_wait[:n] < draws.share) & (t < still_down)
    since[waits] = t[waits]
    a = t + draws.answer[:n]
    answers = waits & (draws.u_never[:n] >= draws.never) & (a <= horizon)
    answered[answers] = a[answers]
    return since, answered


@dataclass(frozen=True)
class PendingDraws:
    """One draw of each per ticket, in ticket order, from the tickets' own streams (`sim.context`)."""

    share: float
    never: float
    u_wait: np.ndarray
    after: np.ndarray
    answer: np.ndarray
    u_never: np.ndarray


def unplanned(sw: Sweep) -> int:
    """How many outages were not planned maintenance: each takes a notification delay."""
    return int((sw.cause != Cause.maintenance.value).sum())
