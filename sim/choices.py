"""Enumerations of the simulation: component kinds, distributions, install and porting outcomes."""

from __future__ import annotations

from enum import StrEnum

from contracts.choices import Cause


class Kind(StrEnum):
    """A component of a site's topology (the `kind` column of events.csv)."""

    platform = "platform"  # provider PoP / core / call-handling platform, shared by every site
    access_link = "access_link"  # SDSL primary link
    backup_link = "backup_link"  # ADSL backup link (optional)
    router = "router"  # provider's site router ("Matériel")
    handset = "handset"


#: Kinds a site owns (the platform is shared), in the order of their bit in a site's down-mask.
SITE_KINDS: tuple[Kind, ...] = (Kind.access_link, Kind.backup_link, Kind.router, Kind.handset)

#: The cause a provider records for an ordinary failure of each kind (CONTRACTS §2 cause table).
DEFAULT_CAUSE: dict[Kind, Cause] = {
    Kind.platform: Cause.network,
    Kind.access_link: Cause.access_link,
    Kind.backup_link: Cause.access_link,
    Kind.router: Cause.router,
    Kind.handset: Cause.router,  # provider-supplied site equipment
}


class Distribution(StrEnum):
    """Time-to-failure distributions."""

    exponential = "exponential"
    weibull = "weibull"


class DurationLaw(StrEnum):
    """Distributions of repair, travel and notification durations."""

    exponential = "exponential"
    fixed = "fixed"


class RepairWindow(StrEnum):
    """When technicians work: in the profile's business window, or round the clock."""

    business = "business"
    always = "always"


class InstallOutcome(StrEnum):
    """How an install ends (000 §3.3)."""

    in_service = "in_service"
    terminated = "terminated"  # major non-conformity after the 3rd appointment, or 3 missed appointments
    cancelled = "cancelled"  # the contract was terminated before the service start (000 §6.4)


class AppointmentDays(StrEnum):
    """Which days of the 5–10 calendar-day window (000 §3.3) an install appointment may fall on."""

    business = "business"  # a business day of the profile's calendar: no technician works on other days
    any = "any"  # any calendar day, as the window is written


class MoveNumbers(StrEnum):
    """What an ALLEO site's numbers become when it moves (000 §2.3 « dans certains cas de déménagement »)."""

    keep_in_zone = "keep_in_zone"  # kept when the new site is in the same numbering zone, else a new block
    new_block = "new_block"  # always a new block; the old one goes to quarantine


class LifeEvent(StrEnum):
    """An event of lifecycle.csv."""

    cancellation = "cancellation"
    move = "move"
    termination = "termination"


class PortingOutcome(StrEnum):
    """Outcome of a site's portability mandate (the `outcome` column of porting.csv)."""

    ported = "ported"
    rejected = "rejected"
    resubmitted_ported = "resubmitted_ported"
    expired = "expired"
