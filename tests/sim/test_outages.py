"""Site outages from component intervals: the topology decides, the first failure names the cause."""

from __future__ import annotations

import networkx as nx
import numpy as np
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from rb_harness import budget
from sim_helpers import BASE

from sim.fleet import build_fleet
from sim.model import RawRun
from sim.outages import sweep, tickets
from sim.scenario import parse_scenario
from sim.topology import is_down, site_graph

FLEET = build_fleet(parse_scenario(yaml.safe_dump(BASE)))
ACTIVE = np.zeros(len(FLEET))
# Site 0 of group a: sdsl only, 3 handsets → components 0 access, 1 router, 2-4 handsets.
# Site 6 (first of group b): sdsl + adsl → its first component is access, then backup, router.
B0 = int(np.nonzero(FLEET.comp_site == 6)[0][0])


def test_backup_link_covers_a_cut_access_link():
    raw = RawRun(intervals=[(B0, 10.0, 50.0, "access_link")])
    sw = sweep(FLEET, ACTIVE, raw)
    assert sw.outages == [] and sw.comp_total.tolist() == [0]


def test_both_links_down_is_a_total_outage_named_by_the_second_failure():
    raw = RawRun(intervals=[(B0, 10.0, 50.0, "third_party"), (B0 + 1, 30.0, 80.0, "access_link")])
    sw = sweep(FLEET, ACTIVE, raw)
    assert [(o.site, o.start, o.end, o.cause, o.kind) for o in sw.outages] == [
        (6, 30.0, 50.0, "access_link", "backup_link")
    ]
    assert sw.comp_total.tolist() == [1, 1]


def test_one_handset_is_partial_all_handsets_total():
    raw = RawRun(intervals=[(2, 0.0, 100.0, "router"), (3, 10.0, 90.0, "router")])
    assert sweep(FLEET, ACTIVE, raw).outages == []
    raw.intervals.append((4, 20.0, 30.0, "router"))
    out = sweep(FLEET, ACTIVE, raw).outages
    assert [(o.start, o.end) for o in out] == [(20.0, 30.0)]


def test_platform_outage_hits_every_active_site_and_respects_service_start():
    active = ACTIVE.copy()
    active[1] = 500.0  # site 1 not yet in service
    raw = RawRun(platform=[(100.0, 200.0, "network")])
    out = sweep(FLEET, active, raw).outages
    assert {o.site for o in out} == set(range(len(FLEET))) - {1}
    assert all((o.start, o.end, o.cause, o.kind) == (100.0, 200.0, "network", "platform") for o in out)


def test_tickets_wait_for_the_customer_and_skip_outages_over_before_notification():
    raw = RawRun(
        intervals=[(0, 0.0, 5.0, "access_link"), (0, 100.0, 200.0, "access_link")],
        platform=[(300.0, 400.0, "maintenance")],
    )
    sw = sweep(FLEET, ACTIVE, raw)
    tk = tickets(sw, [10.0] * len(sw), horizon=350.0, replication=0)  # one delay per unplanned outage
    mine = tk.site == 0
    restored = [None if r != r else r for r in tk.restored[mine].tolist()]
    assert list(zip(tk.notified[mine].tolist(), restored, tk.cause[mine].tolist(), strict=True)) == [
        (110.0, 200.0, "access_link"),
        (300.0, None, "maintenance"),
    ]
    assert tk.ticket[:2] == ["R000-000001", "R000-000002"]


def _brute_force_down(intervals, backup: bool, n_hand: int, t: float) -> bool:
    """Is the site down at instant t? Straight from the graph (networkx), no table, no sweep."""
    down = set()
    hand = 0
    for node, d, u in intervals:
        if d <= t < u:
            if node == "handset":
                hand += 1
            else:
                down.add(node)
    if hand >= n_hand:
        down.add("handsets")
    g = site_graph(backup)
    assert isinstance(g, nx.Graph)
    return is_down(g, {n for n in down if n in g})


_SPAN = st.tuples(st.integers(0, 100), st.integers(1, 40))


@settings(max_examples=budget(60), deadline=None)
@given(
    links=st.lists(_SPAN, max_size=4),
    backups=st.lists(_SPAN, max_size=4),
    routers=st.lists(_SPAN, max_size=2),
    hands=st.lists(st.tuples(st.integers(0, 3), _SPAN), max_size=8),
    plat=st.lists(_SPAN, max_size=2),
)
def test_sweep_matches_the_graph_at_every_instant(links, backups, routers, hands, plat):
    # Site 6 has access link B0, backup B0+1, router B0+2, handsets B0+3.. (4 handsets).
    def disjoint(spans):
        out, end = [], -1
        for s, w in sorted(spans):
            if s > end:
                out.append((float(s), float(s + w)))
                end = s + w
        return out

    raw = RawRun()
    truth = []
    for cid, spans, node in (
        (B0, links, "access_link"),
        (B0 + 1, backups, "backup_link"),
        (B0 + 2, routers, "router"),
    ):
        for d, u in disjoint(spans):
            raw.intervals.append((cid, d, u, "access_link"))
            truth.append((node, d, u))
    for h in range(4):
        for d, u in disjoint([sp for k, sp in hands if k == h]):
            raw.intervals.append((B0 + 3 + h, d, u, "router"))
            truth.append(("handset", d, u))
    for d, u in disjoint(plat):
        raw.platform.append((d, u, "network"))
        truth.append(("platform", d, u))
    raw.platform.sort()
    out = [o for o in sweep(FLEET, ACTIVE, raw).outages if o.site == 6]
    for o in out:  # outages are disjoint, in order, and exactly the down instants
        assert o.start < o.end
    for k in range(len(out) - 1):
        assert out[k].end <= out[k + 1].start
    for half in range(0, 2 * 150):
        t = half / 2 + 0.25
        inside = any(o.start <= t < o.end for o in out)
        assert inside == _brute_force_down(truth, True, 4, t), t
