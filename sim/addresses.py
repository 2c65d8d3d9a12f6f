"""Deterministic synthetic postal addresses of a group's sites: a street, a postcode in its département.

Synthetic on purpose (no real person's address): the k-th site of a group always gets the same address,
so the same scenario gives the same inventory and the same emergency addresses (004 §7).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.scenario import SiteGroup

_STREETS = (
    "rue de la République",
    "avenue Jean Jaurès",
    "boulevard Victor Hugo",
    "rue Pasteur",
    "place de la Mairie",
    "rue des Écoles",
    "allée des Tilleuls",
    "rue du Moulin",
    "chemin des Vignes",
    "quai de la Gare",
    "impasse des Lilas",
    "route de la Forêt",
)


@dataclass(frozen=True)
class Address:
    """A site's postal address, in the three parts the inventory keeps."""

    street: str
    postcode: str
    city: str


def postcode(departement: str, k: int) -> str:
    """A 5-digit postcode of the département: its code, then a hundreds step that varies with `k`."""
    if departement == "2A":
        return f"20{k % 2}00"  # 20000–20199: Corse-du-Sud
    if departement == "2B":
        return f"20{2 + k % 8}00"  # 20200–20999: Haute-Corse
    if len(departement) == 3:
        return f"{departement}{k % 10}0"  # overseas: 97x + 2 digits
    return f"{departement}{k % 10}00"


def site_address(group: SiteGroup, k: int) -> Address:
    """The address of the k-th site (0-based) of `group`."""
    street = f"{1 + (7 * k) % 180} {_STREETS[k % len(_STREETS)]}"
    return Address(street, postcode(group.departement, k), group.city or f"Commune {group.departement}")
