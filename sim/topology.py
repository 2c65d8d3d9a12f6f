"""Site topology as a networkx graph: which sets of down components make a site totally unavailable.

A site is totally unavailable iff no path joins its handsets to the platform through components that are
up (CONTRACTS §2: only total unavailability is a Défaillance; one handset or one of two links down is a
partial degradation). The handsets are one node of the graph, down only when every handset is down.
The graph is turned once into a lookup table over the 2^5 down-masks, so the simulation never walks a
graph per event; the same graph gives the minimal cut sets of the analytic availability.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import combinations, product

import networkx as nx

#: Graph nodes, in the order of their bit in a down-mask.
NODES: tuple[str, ...] = ("access_link", "backup_link", "router", "handsets", "platform")
BIT: dict[str, int] = {n: 1 << i for i, n in enumerate(NODES)}
SOURCE, SINK = "handsets", "platform"


def topology_name(backup_link: bool) -> str:
    """Name a topology as the reports show it."""
    return "sdsl+adsl" if backup_link else "sdsl"


def site_graph(backup_link: bool) -> nx.Graph:
    """Return the graph handsets — router — SDSL (— and ADSL) — platform."""
    g = nx.Graph()
    g.add_edges_from([("handsets", "router"), ("router", "access_link"), ("access_link", "platform")])
    if backup_link:
        g.add_edges_from([("router", "backup_link"), ("backup_link", "platform")])
    return g


def is_down(graph: nx.Graph, down: set[str] | frozenset[str]) -> bool:
    """True when no path joins the handsets to the platform through up components."""
    if SOURCE in down or SINK in down:
        return True
    up = graph.subgraph(n for n in graph.nodes if n not in down)
    return not nx.has_path(up, SOURCE, SINK)


@lru_cache(maxsize=4)
def down_table(backup_link: bool) -> tuple[bool, ...]:
    """Return, for every down-mask over NODES, whether the site is totally unavailable."""
    g = site_graph(backup_link)
    out = []
    for mask in range(1 << len(NODES)):
        down = {n for n in NODES if mask & BIT[n] and n in g}
        out.append(is_down(g, down))
    return tuple(out)


@lru_cache(maxsize=4)
def minimal_cut_sets(backup_link: bool) -> tuple[frozenset[str], ...]:
    """Return the minimal sets of components whose joint failure disconnects handsets from platform."""
    g = site_graph(backup_link)
    nodes = sorted(g.nodes)
    cuts: list[frozenset[str]] = []
    for size in range(1, len(nodes) + 1):
        for combo in combinations(nodes, size):
            s = frozenset(combo)
            if any(c <= s for c in cuts):
                continue
            if is_down(g, s):
                cuts.append(s)
    return tuple(sorted(cuts, key=lambda c: (len(c), sorted(c))))


def analytic_availability(backup_link: bool, unavailability: dict[str, float]) -> float:
    """Return the steady-state availability of a site from its minimal cut sets.

    `unavailability[node]` is the long-run probability that the node is down (MTTR / (MTBF + MTTR) for
    independent alternating components; for `handsets`, every handset down). Exact by inclusion–exclusion
    over the cut sets, components being independent.
    """
    cuts = minimal_cut_sets(backup_link)
    p_fail = 0.0
    for signs in product((0, 1), repeat=len(cuts)):
        chosen = [c for c, s in zip(cuts, signs, strict=True) if s]
        if not chosen:
            continue
        union = frozenset().union(*chosen)
        term = 1.0
        for n in union:
            term *= unavailability.get(n, 0.0)
        p_fail += term if len(chosen) % 2 else -term
    return 1.0 - p_fail
