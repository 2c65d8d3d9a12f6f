"""Site outages from component intervals: the topology decides, the first failure names the cause."""

from __future__ import annotations

import numpy as np
import yaml
from sim_helpers import BASE

from sim.fleet import build_fleet
from sim.model import RawRun
from sim.outages import sweep, tickets
from sim.scenario import parse_scenario

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
    out = [o for o in sweep(FLEET, ACTIVE, raw).outages if o.site == 0]
    tk = tickets(out, lambda: 10.0, horizon=350.0, replication=0)
    assert [(t.notified, t.restored, t.cause) for t in tk] == [
        (110.0, 200.0, "access_link"),
        (300.0, None, "maintenance"),
    ]
