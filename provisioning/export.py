"""Plain rows (dicts) of inventory objects, for JSON/CSV export and tables — no secrets, no HA1."""

from __future__ import annotations

from typing import Any

from provisioning.check import CheckResult
from provisioning.clock import PARIS
from provisioning.models import (
    Equipment,
    Mandate,
    MandateEvent,
    Number,
    NumberBlock,
    SipAccount,
    Site,
    Tenant,
)
from provisioning.numbers import Allocation, RangeUsage
from provisioning.plan import format_e164

BLOCK_COLUMNS = [
    "id",
    "site",
    "first",
    "last",
    "size",
    "zone",
    "purpose",
    "ported",
    "state",
    "emergency_address",
    "allocated_at",
    "allocated_by",
    "quarantine_until",
]
RANGE_COLUMNS = [
    "id",
    "kind",
    "donor",
    "first",
    "last",
    "size",
    "zone",
    "free",
    "allocated",
    "quarantined",
    "returned",
]
NUMBER_COLUMNS = ["number", "zone", "state", "block", "site", "quarantine_until"]
MANDATE_COLUMNS = [
    "id",
    "site",
    "state",
    "reason",
    "holder",
    "address",
    "rio",
    "numbers",
    "expires",
    "accepted_on",
    "port_date",
]
EVENT_COLUMNS = ["mandate", "at", "actor", "action", "from_state", "to_state", "detail"]
SITE_COLUMNS = ["site", "customer", "address", "postcode", "city", "departement", "profile", "service_start"]
SITE_STATE_COLUMNS = [*SITE_COLUMNS, "state"]
EQUIPMENT_COLUMNS = ["site", "kind", "serial", "delivery_date", "warranty_end"]
TENANT_COLUMNS = ["tenant", "domain", "channel_limit", "customer", "accounts"]
ACCOUNT_COLUMNS = ["tenant", "username", "domain"]
CHECK_COLUMNS = ["check", "ok", "violations", "description"]


def _paris(dt) -> str | None:
    return None if dt is None else dt.astimezone(PARIS).isoformat(timespec="seconds")


def block_row(b: NumberBlock | Allocation) -> dict[str, Any]:
    site = b.site if isinstance(b, Allocation) else b.site.name
    row = {
        "id": b.id,
        "site": site,
        "first": format_e164(b.start),
        "last": format_e164(b.start + b.size - 1),
        "size": b.size,
        "zone": b.zone,
        "purpose": b.purpose,
        "ported": b.ported,
        "emergency_address": b.emergency_address,
    }
    if isinstance(b, NumberBlock):
        row.update(
            state=b.state,
            allocated_at=_paris(b.allocated_at),
            allocated_by=b.allocated_by,
            released_at=_paris(b.released_at),
            released_by=b.released_by,
            quarantine_until=b.quarantine_until,
        )
    else:
        row["state"] = "allocated"
    return row


def range_row(u: RangeUsage) -> dict[str, Any]:
    r = u.range
    return {
        "id": r.id,
        "kind": r.kind,
        "donor": r.donor,
        "first": format_e164(r.start),
        "last": format_e164(u.last if u.last is not None else r.start + r.size - 1),
        "size": r.size,
        "zone": r.zone,
        "free": u.free,
        "allocated": u.allocated,
        "quarantined": u.quarantined,
        "returned": u.returned,
        "created_at": _paris(r.created_at),
        "created_by": r.created_by,
    }


def number_row(n: Number, block: NumberBlock | None) -> dict[str, Any]:
    return {
        "number": format_e164(n.e164),
        "zone": n.zone,
        "state": n.state,
        "block": None if block is None else block.id,
        "site": None if block is None else block.site.name,
        "emergency_address": None if block is None else block.emergency_address,
        "quarantine_until": n.quarantine_until,
    }


def mandate_row(m: Mandate) -> dict[str, Any]:
    return {
        "id": m.id,
        "site": m.site.name,
        "state": m.state,
        "reason": m.reason,
        "holder": m.holder,
        "address": m.address,
        "rio": m.rio,
        "numbers": len(m.numbers),
        "expires": m.expires,
        "accepted_on": m.accepted_on,
        "port_date": m.port_date,
        "number_list": [format_e164(n.e164) for n in m.numbers],
    }


def event_row(e: MandateEvent) -> dict[str, Any]:
    return {
        "mandate": e.mandate_id,
        "at": _paris(e.at),
        "actor": e.actor,
        "action": e.action,
        "from_state": e.from_state,
        "to_state": e.to_state,
        "detail": e.detail,
    }


def site_row(s: Site) -> dict[str, Any]:
    return {
        "site": s.name,
        "customer": s.customer.name,
        "address": s.address,
        "postcode": s.postcode,
        "city": s.city,
        "departement": s.departement,
        "profile": s.profile,
        "service_start": s.service_start,
        "state": s.state,
    }


def equipment_row(e: Equipment) -> dict[str, Any]:
    return {
        "site": e.site.name,
        "kind": e.kind,
        "serial": e.serial,
        "delivery_date": e.delivery_date,
        "warranty_end": e.warranty_end,
    }


def tenant_row(t: Tenant) -> dict[str, Any]:
    return {
        "tenant": t.name,
        "domain": t.domain,
        "channel_limit": t.channel_limit,
        "customer": None if t.customer is None else t.customer.name,
        "accounts": len(t.accounts),
    }


def account_row(a: SipAccount) -> dict[str, Any]:
    """The public face of a SIP account: never its password, nor its HA1."""
    return {"tenant": a.tenant.name, "username": a.username, "domain": a.tenant.domain}


def check_row(c: CheckResult) -> dict[str, Any]:
    return {
        "check": c.name,
        "ok": c.ok,
        "violations": len(c.violations),
        "description": c.description,
        "details": c.violations,
    }
