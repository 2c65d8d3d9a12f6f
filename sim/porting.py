"""Number porting per site after service start (000 §2.3; ARCEP 2013-0830 for the delay)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from contracts.choices import RejectionReason
from sim.choices import PortingOutcome
from sim.scenario import Porting

_REASONS = tuple(RejectionReason)
_SINGLE = tuple(r for r in RejectionReason if r is not RejectionReason.non_exhaustive_list)


@dataclass(frozen=True)
class Port:
    """One site's portability mandate and what became of it.

    `reason` is the 000 §2.3 ground the simulation drew for a rejection (the inventory's OBL then
    decides from the mandate's data); `resubmitted_at` the date of the corrected request; `expires`
    the mandate's expiry date, `valid_days` after its signature at order.
    """

    site: str
    mandate: str
    submitted_at: date
    outcome: PortingOutcome
    reason: str
    ported_at: date | None
    numbers: int = 1
    signed: date | None = None
    expires: date | None = None
    resubmitted_at: date | None = None


def simulate_port(
    rng: np.random.Generator,
    p: Porting,
    add_business_days,
    add_jours_ouvrables,
    *,
    site: str,
    service_start: date,
    signed: date | None = None,
    numbers: int = 1,
) -> Port:
    """Submit the mandate after service start and follow it to its outcome.

    `add_business_days(d, n)` is the site's business calendar (jours ouvrés), `add_jours_ouvrables(d, n)`
    the ARCEP porting unit (`Profile.jours_ouvrables`, the `jour_ouvrable` choice). Porting only takes effect
    after the service-start date (000 §2.3). The mandate, signed at order (`signed`), lists `numbers`
    numbers; a list can only be non-exhaustive when it has a number to leave out (2 or more).
    """
    mandate = f"M-{site}"
    signed = signed or service_start
    expires = signed + timedelta(days=p.valid_days)
    submitted = add_business_days(service_start, max(1, p.submit_business_days))
    common = {"numbers": numbers, "signed": signed, "expires": expires}
    u = rng.random()
    if u < p.expire:
        # 000 §2.3: not ported by the mandate's expiry date: a new mandate must be signed.
        return Port(site, mandate, submitted, PortingOutcome.expired, "", None, **common)
    if u < p.expire + p.reject:
        # 000 §2.3: the OBL may reject; the customer may resubmit after fixing the cause.
        grounds = _REASONS if numbers > 1 else _SINGLE
        reason = grounds[int(rng.integers(len(grounds)))].value
        if rng.random() < p.resubmit:
            again = add_business_days(submitted, p.fix_business_days)
            return Port(
                site,
                mandate,
                submitted,
                PortingOutcome.resubmitted_ported,
                reason,
                add_jours_ouvrables(again, 1),
                resubmitted_at=again,
                **common,
            )
        return Port(site, mandate, submitted, PortingOutcome.rejected, reason, None, **common)
    # ARCEP 2013-0830: a fixed-number port takes effect within 1 jour ouvrable of the eligibility check.
    return Port(
        site, mandate, submitted, PortingOutcome.ported, "", add_jours_ouvrables(submitted, 1), **common
    )
