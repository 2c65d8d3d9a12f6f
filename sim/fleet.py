"""The fleet of one scenario: site groups expanded into flat arrays of sites and components.

Arrays, not objects: a 10,000-site fleet has ~100,000 components and the model draws their failure times
in bulk with numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.choices import SITE_KINDS, Kind
from sim.scenario import Scenario, SiteGroup
from sim.topology import topology_name

KIND_CODE: dict[Kind, int] = {k: i for i, k in enumerate(SITE_KINDS)}


@dataclass(frozen=True)
class Fleet:
    """Sites (in group order, ids sorted within a group) and their components."""

    sites: list[str]
    group: np.ndarray  # site -> index of its group in the scenario
    groups: list[SiteGroup]
    backup: np.ndarray  # site -> has a backup link
    handsets: np.ndarray  # site -> number of handsets
    comp_site: np.ndarray  # component -> site
    comp_kind: np.ndarray  # component -> KIND_CODE

    def __len__(self) -> int:
        return len(self.sites)

    def profile(self, site: int) -> str:
        """Profile name of a site."""
        return self.groups[self.group[site]].profile

    def topology(self, site: int) -> str:
        """Topology name of a site."""
        return topology_name(bool(self.backup[site]))

    def components_of(self, kind: Kind) -> np.ndarray:
        """Indices of the components of a kind."""
        return np.nonzero(self.comp_kind == KIND_CODE[kind])[0]


def site_id(group: SiteGroup, k: int) -> str:
    """Site identifier: the group name and a 5-digit number (sorts in creation order)."""
    return f"{group.name}-{k + 1:05d}"


def build_fleet(scenario: Scenario) -> Fleet:
    """Expand the scenario's site groups."""
    sites: list[str] = []
    group, backup, handsets = [], [], []
    for gi, g in enumerate(scenario.site_groups):
        sites.extend(site_id(g, k) for k in range(g.count))
        group.extend([gi] * g.count)
        backup.extend([g.backup_link] * g.count)
        handsets.extend([g.handsets] * g.count)
    backup_a = np.array(backup, dtype=bool)
    hs = np.array(handsets, dtype=np.int64)
    per_site = 2 + backup_a.astype(np.int64) + hs  # access link, router, backup?, handsets
    n_comp = int(per_site.sum())
    comp_site = np.repeat(np.arange(len(sites)), per_site)
    # Kind codes laid out per site: access, [backup], router, handset × n.
    offsets = np.concatenate(([0], np.cumsum(per_site)[:-1]))
    rank = np.arange(n_comp) - offsets[comp_site]
    has_b = backup_a[comp_site]
    kind = np.full(n_comp, KIND_CODE[Kind.handset], dtype=np.int8)
    kind[rank == 0] = KIND_CODE[Kind.access_link]
    kind[(rank == 1) & has_b] = KIND_CODE[Kind.backup_link]
    kind[(rank == 1) & ~has_b] = KIND_CODE[Kind.router]
    kind[(rank == 2) & has_b] = KIND_CODE[Kind.router]
    return Fleet(
        sites, np.array(group, dtype=np.int64), list(scenario.site_groups), backup_a, hs, comp_site, kind
    )
