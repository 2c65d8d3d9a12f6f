"""Cause codes of incident tickets (CONTRACTS §2): the only values the `cause` column may take."""

from __future__ import annotations

from enum import StrEnum


class Cause(StrEnum):
    """Why a site was down, as the provider records it on the ticket."""

    network = "network"  # platform, routing, core
    access_link = "access_link"  # transmission cut
    router = "router"  # provider's site equipment ("Matériel")
    customer = "customer"
    force_majeure = "force_majeure"
    maintenance = "maintenance"  # planned
    operator = "operator"  # local-loop / upstream telecom operator
    third_party = "third_party"  # e.g. a cable cut by road works


CAUSES: tuple[str, ...] = tuple(c.value for c in Cause)
