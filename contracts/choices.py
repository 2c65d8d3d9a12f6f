"""Every enumeration of the kernel, in one place: `sim`, `provisioning` and the CLI import these and
define no copies."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Cause(StrEnum):
    """Why a site was down, as the provider records it on the ticket (CONTRACTS §2: the only values the
    `cause` column of an incidents file may take)."""

    network = "network"  # platform, routing, core
    access_link = "access_link"  # transmission cut
    router = "router"  # provider's site equipment ("Matériel")
    customer = "customer"
    force_majeure = "force_majeure"
    maintenance = "maintenance"  # planned
    operator = "operator"  # local-loop / upstream telecom operator
    third_party = "third_party"  # e.g. a cable cut by road works
    move = "move"  # the announced interruption of a site move (000 §3.5); appended last: codes are int8


CAUSES: tuple[str, ...] = tuple(c.value for c in Cause)


class SlaKind(StrEnum):
    """What a profile's `sla:` section measures (the `kind` key)."""

    availability = "availability"  # monthly availability → tier → credit (000 §5.3, 001 §4, 004 §8)
    per_incident = "per_incident"  # restoration time of each incident → GTR credit (002 §4)
    none = "none"  # no service level


SLA_KINDS: tuple[str, ...] = tuple(k.value for k in SlaKind)


class CreditKind(StrEnum):
    """Where a credit of a statement comes from."""

    availability = "availability"  # the month's availability tier
    gtr = "gtr"  # one incident's restoration time (002 §4)
    install = "install"  # a late install (000 §5.2)


class RejectionReason(StrEnum):
    """The local-loop operator's (OBL) grounds for rejecting a portability mandate (000 §2.3)."""

    wrong_address = "wrong_address"
    wrong_holder = "wrong_holder"
    temporary_subscription = "temporary_subscription"
    non_exhaustive_list = "non_exhaustive_list"  # « la liste des numéros à porter n'est pas exhaustive »


# ----- fair use of unlimited plans (001 §7, 002 §7) ------------------------------------------------------


class Dest(IntEnum):
    """Destination class of a call (001 §7, 002 §7.1); the value is its column in the audit's counts."""

    national_fixed = 0  # 01-05, 09
    national_mobile = 1  # 06, 07
    national_special = 2  # 08, short numbers: outside the plan
    international_included = 3  # a listed international destination
    international_other = 4  # outside the plan


class CallDevice(IntEnum):
    """What placed a call (the `device_kind` column of call records): a provider handset, a gateway, a
    PBX, or a "mobility" SIP login — the fair-use rules exclude some (001 §7, 002 §7)."""

    handset = 0
    gateway = 1
    pbx = 2
    mobility = 3


# ----- channels and users (004 §11.d) ----------------------------------------------------------------------


class Rounding(StrEnum):
    """`channels_rounding` [choice]: usable channels = floor of the formula, or the exact value."""

    floor = "floor"
    exact = "exact"


class Counting(StrEnum):
    """How a row of the devices file adds billable users (004 §11.d)."""

    person = "person"  # each distinct natural person = 1 user, whatever its devices
    none = "none"  # a device that needs no user
    per_phone = "per_phone"  # a phone of a room used by non-users: 1 user per phone
    users_room = "users_room"  # a phone of a room used by people already users: 0
    not_billed = "not_billed"  # a "No service" administrator or supervisor: 0, no device allowed


class DeviceKind(StrEnum):
    """Kinds of rows in `devices.csv` (column `kind`), each with its counting rule (004 §11.d)."""

    desk_phone = "desk_phone"
    softphone = "softphone"
    mobile_app = "mobile_app"
    dect_phone = "dect_phone"
    hot_desking = "hot_desking"
    door_phone = "door_phone"
    fax = "fax"
    emergency_phone = "emergency_phone"
    pager = "pager"
    buzzer = "buzzer"
    flasher = "flasher"
    common_room_phone = "common_room_phone"
    meeting_room_phone = "meeting_room_phone"
    no_service_admin = "no_service_admin"
    no_service_supervisor = "no_service_supervisor"

    @property
    def counting(self) -> Counting:
        """Return the counting rule of this kind."""
        return _COUNTING[self]


_COUNTING: dict[DeviceKind, Counting] = {  # 004 §11.d
    DeviceKind.desk_phone: Counting.person,
    DeviceKind.softphone: Counting.person,
    DeviceKind.mobile_app: Counting.person,
    DeviceKind.dect_phone: Counting.person,
    DeviceKind.hot_desking: Counting.person,
    DeviceKind.door_phone: Counting.none,
    DeviceKind.fax: Counting.none,
    DeviceKind.emergency_phone: Counting.none,
    DeviceKind.pager: Counting.none,
    DeviceKind.buzzer: Counting.none,
    DeviceKind.flasher: Counting.none,
    DeviceKind.common_room_phone: Counting.per_phone,
    DeviceKind.meeting_room_phone: Counting.users_room,
    DeviceKind.no_service_admin: Counting.not_billed,
    DeviceKind.no_service_supervisor: Counting.not_billed,
}
