"""Invariants of the inventory, verified in the database itself (`centrex db check`).

Each check returns the offending rows (capped), so a failure names what to look at.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, bindparam, text
from sqlalchemy.orm import Session

from provisioning.choices import (
    BLOCK_SIZES,
    FINAL_MANDATE_STATES,
    REFUSED_PURPOSES,
    BlockState,
    MandateState,
    NumberState,
    RangeKind,
    SiteState,
)
from provisioning.plan import format_e164

LIMIT = 20
_ALLOCATED = BlockState.allocated.value
_N_ALLOCATED = NumberState.allocated.value
_N_QUARANTINED = NumberState.quarantined.value


@dataclass
class CheckResult:
    """One invariant: its name, what it means, and the violations found (empty when it holds)."""

    name: str
    description: str
    violations: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations


def _rows(conn: Connection, sql: str, **params) -> list:
    query = text(sql + f" LIMIT {LIMIT}")
    lists = [bindparam(k, expanding=True) for k, v in params.items() if isinstance(v, list | tuple)]
    return list(conn.execute(query.bindparams(*lists) if lists else query, params))


def _overlapping_blocks(conn: Connection) -> list[str]:
    # Blocks holding numbers (allocated, or released with numbers still in quarantine), sorted by start:
    # if any two overlap, some block overlaps the one just before it.
    rows = _rows(
        conn,
        "SELECT id, start, size, prev_id, prev_end FROM ("
        " SELECT id, start, size, LAG(id) OVER (ORDER BY start, id) AS prev_id,"
        " LAG(start + size) OVER (ORDER BY start, id) AS prev_end FROM number_block b"
        " WHERE state = :allocated OR EXISTS (SELECT 1 FROM number n"
        " WHERE n.e164 BETWEEN b.start AND b.start + b.size - 1 AND n.block_id = b.id)"
        ") t WHERE start < prev_end",
        allocated=_ALLOCATED,
    )
    return [f"block {r.id} ({format_e164(r.start)}/{r.size}) overlaps block {r.prev_id}" for r in rows]


def _numbers_outside_their_block(conn: Connection) -> list[str]:
    rows = _rows(
        conn,
        "SELECT n.e164, n.block_id FROM number n JOIN number_block b ON b.id = n.block_id"
        " WHERE n.e164 < b.start OR n.e164 >= b.start + b.size",
    )
    return [f"{format_e164(r.e164)} points at block {r.block_id} which does not contain it" for r in rows]


def _numbers_state_consistent(conn: Connection) -> list[str]:
    rows = _rows(
        conn,
        "SELECT n.e164, n.state, b.state AS bstate FROM number n"
        " LEFT JOIN number_block b ON b.id = n.block_id"
        " WHERE (n.state = :na AND (b.id IS NULL OR b.state <> :ba))"
        " OR (n.state = :nq AND (b.id IS NULL OR b.state = :ba OR n.quarantine_until IS NULL))"
        " OR (n.state IN (:nf, :nr) AND n.block_id IS NOT NULL)"
        " OR n.state NOT IN (:na, :nq, :nf, :nr)"
        # ported-in numbers are never free for us to allocate; only they can be given back
        " OR (n.state IN (:nf, :nr) AND (n.state = :nr) <> EXISTS (SELECT 1 FROM number_range r"
        " WHERE r.id = n.range_id AND r.kind = :rp))",
        na=_N_ALLOCATED,
        nq=_N_QUARANTINED,
        nf=NumberState.free.value,
        nr=NumberState.returned.value,
        rp=RangeKind.ported.value,
        ba=_ALLOCATED,
    )
    return [f"{format_e164(r.e164)} is {r.state} but its block is {r.bstate or 'missing'}" for r in rows]


def _blocks_without_numbers(conn: Connection) -> list[str]:
    rows = _rows(
        conn,
        "SELECT b.id, b.start, b.size, COALESCE(c.n, 0) AS held FROM number_block b LEFT JOIN"
        " (SELECT block_id, COUNT(*) AS n FROM number WHERE state = :na GROUP BY block_id) c"
        " ON c.block_id = b.id WHERE b.state = :ba AND COALESCE(c.n, 0) <> b.size",
        na=_N_ALLOCATED,
        ba=_ALLOCATED,
    )
    return [
        f"block {r.id} ({format_e164(r.start)}/{r.size}) holds {r.held} of its {r.size} numbers" for r in rows
    ]


def _alignment(conn: Connection) -> list[str]:
    sql = (
        "SELECT id, start, size FROM number_block WHERE NOT ported"
        " AND (size NOT IN :sizes OR start % size <> 0)"
    )
    rows = _rows(conn, sql, sizes=list(BLOCK_SIZES))
    return [f"block {r.id} ({format_e164(r.start)}/{r.size}) is not size-aligned" for r in rows]


def _emergency(conn: Connection) -> list[str]:
    rows = _rows(
        conn,
        "SELECT id, purpose, emergency_address FROM number_block WHERE state = :ba AND"
        " (emergency_address IS NULL OR TRIM(emergency_address) = '' OR purpose IN :refused)",
        ba=_ALLOCATED,
        refused=sorted(p.value for p in REFUSED_PURPOSES),
    )
    moved = _rows(
        conn,
        "SELECT b.id, b.emergency_address, s.name,"
        " (s.address || ', ' || s.postcode || ' ' || s.city) AS postal"
        " FROM number_block b JOIN site s ON s.id = b.site_id WHERE b.state = :ba"
        " AND b.emergency_address <> (s.address || ', ' || s.postcode || ' ' || s.city)",
        ba=_ALLOCATED,
    )  # the SQL spelling of models.postal_address
    return [f"block {r.id}: purpose {r.purpose}, emergency address {r.emergency_address!r}" for r in rows] + [
        f"block {r.id}: emergency address {r.emergency_address!r} is not the address of site {r.name!r}"
        f" ({r.postal!r})"
        for r in moved
    ]


def _ported_in_blocks(conn: Connection) -> list[str]:
    # 000 §2.2/§2.3: a completed port gives the site its numbers; while the site lasts they are its blocks
    rows = _rows(
        conn,
        "SELECT mn.e164, m.id AS mandate, s.name AS site, n.state, b.site_id AS holder FROM mandate m"
        " JOIN mandate_number mn ON mn.mandate_id = m.id JOIN site s ON s.id = m.site_id"
        " LEFT JOIN number n ON n.e164 = mn.e164 LEFT JOIN number_block b ON b.id = n.block_id"
        " WHERE m.state = :ported AND s.state <> :terminated"
        " AND (b.id IS NULL OR b.site_id <> m.site_id OR b.state <> :ba OR NOT b.ported)",
        ported=MandateState.ported.value,
        terminated=SiteState.terminated.value,
        ba=_ALLOCATED,
    )
    return [
        f"{format_e164(r.e164)} ported to site {r.site!r} (mandate {r.mandate}) is "
        + ("in no range" if r.state is None else f"{r.state}, in no ported block of that site")
        for r in rows
    ]


def _accounts_of_terminated_sites(conn: Connection) -> list[str]:
    rows = _rows(
        conn,
        "SELECT a.username, t.name AS tenant, s.name AS site FROM sip_account a"
        " JOIN tenant t ON t.id = a.tenant_id JOIN site s ON s.id = a.site_id"
        " WHERE a.enabled AND s.state = :terminated",
        terminated=SiteState.terminated.value,
    )
    return [f"account {r.username}@{r.tenant} is enabled on terminated site {r.site!r}" for r in rows]


def _mandates_of_terminated_sites(conn: Connection) -> list[str]:
    rows = _rows(
        conn,
        "SELECT m.id, m.state, s.name AS site FROM mandate m JOIN site s ON s.id = m.site_id"
        " WHERE s.state = :terminated AND m.state NOT IN :final",
        terminated=SiteState.terminated.value,
        final=sorted(m.value for m in FINAL_MANDATE_STATES),
    )
    return [f"mandate {r.id} is {r.state} on terminated site {r.site!r}" for r in rows]


def _channel_limits(conn: Connection) -> list[str]:
    from provisioning.accounts import contract_allowance

    counts = dict(
        conn.execute(
            text("SELECT tenant_id, COUNT(*) FROM sip_account WHERE enabled GROUP BY tenant_id")
        ).all()
    )
    problems = []
    tenants = conn.execute(
        text(
            "SELECT id, name, channel_limit, profile, contract_channels, override_channels, override_at,"
            " override_by, override_reason FROM tenant ORDER BY name"
        )
    )
    for t in tenants:
        if t.override_at is not None:
            if not t.override_by or not t.override_reason or t.override_channels != t.channel_limit:
                problems.append(
                    f"tenant {t.name!r}: limit {t.channel_limit}, override {t.override_channels}"
                    f" by {t.override_by!r} ({t.override_reason!r})"
                )
            continue
        if t.profile is None:
            problems.append(f"tenant {t.name!r}: limit {t.channel_limit} from no contract and no override")
            continue
        expected = contract_allowance(t.profile, counts.get(t.id, 0), t.contract_channels)
        if t.channel_limit != expected:
            problems.append(
                f"tenant {t.name!r}: limit {t.channel_limit}, its {t.profile} contract allows {expected}"
                f" ({counts.get(t.id, 0)} enabled account(s))"
            )
    return problems[:LIMIT]


def _numbers_in_ranges(conn: Connection) -> list[str]:
    rows = _rows(
        conn,
        "SELECT n.e164, n.range_id FROM number n JOIN number_range r ON r.id = n.range_id"
        " WHERE r.kind = :operator AND (n.e164 < r.start OR n.e164 >= r.start + r.size)",
        operator=RangeKind.operator.value,
    )
    rows += _rows(
        conn,
        "SELECT n.e164, n.range_id FROM number n JOIN number_range r ON r.id = n.range_id"
        " WHERE r.kind = :ported AND (n.e164 < r.start OR n.zone <> r.zone)",
        ported=RangeKind.ported.value,
    )
    missing = _rows(
        conn,
        "SELECT r.id, r.size, COUNT(n.e164) AS held FROM number_range r"
        " LEFT JOIN number n ON n.range_id = r.id"
        " GROUP BY r.id, r.size HAVING COUNT(n.e164) <> r.size",
    )
    return [f"{format_e164(r.e164)} lies outside its range {r.range_id}" for r in rows] + [
        f"range {r.id} has {r.held} of its {r.size} numbers" for r in missing
    ]


def _audit_trail(conn: Connection) -> list[str]:
    problems: list[str] = []
    states = {m.id: m.state for m in conn.execute(text("SELECT id, state FROM mandate"))}
    last: dict[int, str | None] = {}
    events = conn.execute(
        text(
            "SELECT mandate_id, id, action, from_state, to_state, actor, at FROM mandate_event"
            " ORDER BY mandate_id, id"
        )
    )
    for e in events:
        expected = last.get(e.mandate_id)
        if e.mandate_id not in last:
            if e.from_state is not None or e.to_state != MandateState.draft.value or e.action != "create":
                problems.append(f"mandate {e.mandate_id}: first event {e.id} is not its creation")
        elif e.from_state != expected:
            problems.append(
                f"mandate {e.mandate_id}: event {e.id} starts from {e.from_state}, not {expected}"
            )
        if not e.actor or e.at is None:
            problems.append(f"mandate {e.mandate_id}: event {e.id} does not say who or when")
        last[e.mandate_id] = e.to_state
    for mid, state in states.items():
        if mid not in last:
            problems.append(f"mandate {mid} has no audit trail")
        elif last[mid] != state:
            problems.append(f"mandate {mid} is {state} but its last event leads to {last[mid]}")
    orphans = set(last) - set(states)
    problems += [f"events of unknown mandate {mid}" for mid in sorted(orphans)]
    return problems[:LIMIT]


CHECKS = (
    ("no_number_in_two_blocks", "blocks holding numbers never overlap", _overlapping_blocks),
    (
        "numbers_inside_their_block",
        "every number points only at a block that contains it",
        _numbers_outside_their_block,
    ),
    (
        "number_states",
        "allocated ↔ allocated block, quarantined ↔ released block with an end, free ↔ no block",
        _numbers_state_consistent,
    ),
    (
        "no_block_without_its_numbers",
        "every allocated block holds exactly its size in numbers",
        _blocks_without_numbers,
    ),
    (
        "block_alignment",
        "block sizes are 1/10/100/1000 and start on a multiple of the size (ported blocks exempt)",
        _alignment,
    ),
    (
        "emergency_address",
        "every allocated block carries its site's current address, none is for alarm/lift lines"
        " (004 §2, §7, §14)",
        _emergency,
    ),
    (
        "ported_numbers_in_site_blocks",
        "every number of a completed port sits in a ported block of its site (000 §2.2, §2.3)",
        _ported_in_blocks,
    ),
    (
        "channel_limits",
        "each tenant's channel limit is its contract's allowance (004 §11.d) or a recorded override",
        _channel_limits,
    ),
    (
        "no_enabled_account_on_terminated_site",
        "a terminated site's SIP accounts are all disabled",
        _accounts_of_terminated_sites,
    ),
    (
        "no_open_mandate_on_terminated_site",
        "a terminated site's mandates are all ported, cancelled or expired",
        _mandates_of_terminated_sites,
    ),
    ("ranges_complete", "every range holds exactly its numbers", _numbers_in_ranges),
    (
        "audit_trail_complete",
        "every mandate's events chain from its creation to its current state",
        _audit_trail,
    ),
)


def check(session: Session) -> list[CheckResult]:
    """Run every invariant on the database; return one result per check, in a fixed order."""
    conn = session.connection()
    return [CheckResult(name, description, fn(conn)) for name, description, fn in CHECKS]
