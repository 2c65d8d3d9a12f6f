"""Every enumeration and named default of the inventory, in one place (the CLI never defines these)."""

from __future__ import annotations

from enum import StrEnum


class NumberState(StrEnum):
    """Life of one SDA number of an operator range."""

    free = "free"
    allocated = "allocated"
    quarantined = "quarantined"
    returned = "returned"  # a ported-in number given back when its site left (never allocated by us)


class SiteState(StrEnum):
    """Life of a site: ordered, in service, moved (in service at a new address), terminated."""

    ordered = "ordered"
    in_service = "in_service"
    moved = "moved"
    terminated = "terminated"


class RangeKind(StrEnum):
    """Where a range's numbers come from: the operator's own allocation, or ported in from a donor."""

    operator = "operator"
    ported = "ported"


class BlockState(StrEnum):
    """Life of an SDA block given to a site."""

    allocated = "allocated"
    released = "released"


class BlockPurpose(StrEnum):
    """What a block's numbers are for (SDA: extensions, fax-to-mail, hunt groups — 000 §1)."""

    extensions = "extensions"
    fax = "fax"
    hunt_group = "hunt_group"
    alarm = "alarm"
    lift = "lift"


# 004 §2/§9: alarm and lift-emergency lines must stay outside the service.
REFUSED_PURPOSES = frozenset({BlockPurpose.alarm, BlockPurpose.lift})

BLOCK_SIZES = (1, 10, 100, 1000)
DEFAULT_QUARANTINE_DAYS = 90  # named parameter `quarantine_days` of `numbers release`
MAX_RANGE_SIZE = 10_000_000

# French numbering plan: zone = first digit of the national number. 01–05 geographic, 09 non-geographic.
GEOGRAPHIC_ZONES = ("01", "02", "03", "04", "05")
NON_GEOGRAPHIC_ZONES = ("09",)
ALLOWED_ZONES = GEOGRAPHIC_ZONES + NON_GEOGRAPHIC_ZONES


class MandateState(StrEnum):
    """Portability mandate states (000 §2.3)."""

    draft = "draft"
    submitted = "submitted"
    accepted = "accepted"
    rejected = "rejected"
    postponed = "postponed"
    study = "study"
    scheduled = "scheduled"
    ported = "ported"
    cancelled = "cancelled"
    expired = "expired"


FINAL_MANDATE_STATES = frozenset({MandateState.ported, MandateState.cancelled, MandateState.expired})


class LineType(StrEnum):
    """Subscription type of a line in the OBL's records."""

    permanent = "permanent"
    temporary = "temporary"


class EquipmentKind(StrEnum):
    """Kinds of equipment on a site."""

    handset = "handset"
    router = "router"
    gateway = "gateway"
    switch = "switch"
    base_station = "base_station"
    other = "other"
