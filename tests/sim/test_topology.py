"""Site topology: total unavailability iff no path handsets → platform; minimal cut sets; analytic value."""

from __future__ import annotations

import pytest

from sim.topology import BIT, analytic_availability, down_table, is_down, minimal_cut_sets, site_graph


def test_cut_sets_without_backup_link():
    cuts = {frozenset(c) for c in minimal_cut_sets(False)}
    assert cuts == {
        frozenset({"access_link"}),
        frozenset({"router"}),
        frozenset({"handsets"}),
        frozenset({"platform"}),
    }


def test_cut_sets_with_backup_link():
    cuts = {frozenset(c) for c in minimal_cut_sets(True)}
    assert frozenset({"access_link", "backup_link"}) in cuts
    assert frozenset({"access_link"}) not in cuts
    assert len(cuts) == 4


def test_one_link_down_is_a_partial_degradation_with_backup():
    g = site_graph(True)
    assert not is_down(g, {"access_link"})
    assert not is_down(g, {"backup_link"})
    assert is_down(g, {"access_link", "backup_link"})
    assert is_down(site_graph(False), {"access_link"})


def test_table_agrees_with_graph():
    for backup in (False, True):
        table = down_table(backup)
        assert table[0] is False
        assert table[BIT["router"]] is True
        assert table[BIT["access_link"]] is (not backup)
        assert table[BIT["access_link"] | BIT["backup_link"]] is True
        assert table[BIT["backup_link"]] is False


def test_analytic_availability_series_and_parallel():
    q = {"access_link": 0.01, "backup_link": 0.02, "router": 0.001, "handsets": 0.0, "platform": 0.0005}
    series = (1 - 0.01) * (1 - 0.001) * (1 - 0.0005)
    assert analytic_availability(False, q) == pytest.approx(series, abs=1e-12)
    parallel = (1 - 0.01 * 0.02) * (1 - 0.001) * (1 - 0.0005)
    assert analytic_availability(True, q) == pytest.approx(parallel, abs=1e-12)
