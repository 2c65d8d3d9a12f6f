"""SDA numbers: operator ranges, contiguous size-aligned blocks per site, release through quarantine.

Allocation is set arithmetic (NetBox style): the free numbers of a zone, read in order, minus what is
allocated or quarantined; the first aligned run of `size` free numbers is the block (or None).
Concurrency: on SQLite the transaction starts with BEGIN IMMEDIATE (see `provisioning.db`), so one
allocator at a time reads and writes; on PostgreSQL the candidate block's rows are locked `FOR UPDATE
SKIP LOCKED`, and a candidate another allocator holds is passed over. In both, the final UPDATE only
takes rows still free and the block is refused (and the transaction retried) unless it got all of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple

from sqlalchemy import Connection, and_, func, select, text, update
from sqlalchemy.orm import Session

from contracts.errors import InputError, StateError
from provisioning.choices import (
    ALLOWED_ZONES,
    BLOCK_SIZES,
    DEFAULT_QUARANTINE_DAYS,
    GEOGRAPHIC_ZONES,
    MAX_RANGE_SIZE,
    REFUSED_PURPOSES,
    BlockPurpose,
    BlockState,
    NumberState,
    RangeKind,
)
from provisioning.clock import paris_day
from provisioning.db import Driver, RetryableConflict
from provisioning.inventory import get_site
from provisioning.models import Number, NumberBlock, NumberRange, Site, postal_address, utcnow
from provisioning.plan import format_e164, parse_number, zone_of, zone_of_departement


@dataclass(frozen=True)
class Allocation:
    """A block just allocated (what the allocator returns without reloading the row)."""

    id: int
    site: str
    start: int
    size: int
    zone: str
    purpose: str
    emergency_address: str
    ported: bool = False

    @property
    def last(self) -> int:
        """Return the last number of the block."""
        return self.start + self.size - 1


class NumbersExhausted(StateError):
    """No aligned run of free numbers is left for a site's block: an install outcome, not a crash."""

    reason = "numbers_exhausted"

    def __init__(self, site: str, zone: str, size: int) -> None:
        super().__init__(f"site {site!r}: no free aligned block of {size} left in zone {zone}")
        self.site, self.zone, self.size = site, zone, size


class AllocationConflict(RetryableConflict):
    """Another allocator took part of the chosen block between read and write (retried by the caller)."""


def add_range(
    session: Session, start: str, size: int, actor: str, *, at: datetime | None = None
) -> NumberRange:
    """Load the operator range start … start+size-1 (valid French 01–05/09 numbers, no overlap)."""
    if not 1 <= size <= MAX_RANGE_SIZE:
        raise InputError(f"range size must be 1…{MAX_RANGE_SIZE}, got {size}", field="size")
    first = parse_number(start, field="start")
    last = first + size - 1
    zone = zone_of(first)
    if zone_of(last) != zone or len(str(last)) != len(str(first)):
        raise InputError(f"range {format_e164(first)}+{size} leaves zone {zone}", field="size")
    parse_number(format_e164(last), field="size")
    overlap = session.scalar(
        select(NumberRange).where(
            NumberRange.kind == RangeKind.operator.value,
            NumberRange.start <= last,
            NumberRange.start + NumberRange.size > first,
        )
    )
    if overlap is not None:
        raise InputError(
            f"range {format_e164(first)}…{format_e164(last)} overlaps range {format_e164(overlap.start)}"
            f"…{format_e164(overlap.start + overlap.size - 1)}",
            field="start",
        )
    ported = session.scalar(select(Number.e164).where(Number.e164.between(first, last)).limit(1))
    if ported is not None:
        raise InputError(
            f"range {format_e164(first)}…{format_e164(last)} holds {format_e164(ported)}, ported in already",
            field="start",
        )
    rng = NumberRange(
        start=first,
        size=size,
        zone=zone,
        kind=RangeKind.operator.value,
        created_at=at or utcnow(),
        created_by=actor,
    )
    session.add(rng)
    session.flush()
    _insert_numbers(session.connection(), rng)
    if session.connection().dialect.name == "postgresql":
        session.execute(text("ANALYZE number"))  # a planner without statistics misreads the hot queries
    return rng


_SERIES_SQL = {
    "sqlite": "WITH RECURSIVE seq(n) AS (SELECT CAST(:first AS INTEGER) UNION ALL "
    "SELECT n + 1 FROM seq WHERE n < :last) "
    "INSERT INTO number (e164, range_id, zone, state) SELECT n, :rid, :zone, :state FROM seq",
    "postgresql": "INSERT INTO number (e164, range_id, zone, state) "
    "SELECT n, :rid, :zone, :state FROM generate_series(CAST(:first AS BIGINT), CAST(:last AS BIGINT)) AS n",
}


def _insert_numbers(conn: Connection, rng: NumberRange) -> None:
    """Insert one free row per number of the range, generated by the database itself (no Python loop)."""
    conn.execute(
        text(_SERIES_SQL[conn.dialect.name]),
        {
            "first": rng.start,
            "last": rng.start + rng.size - 1,
            "rid": rng.id,
            "zone": rng.zone,
            "state": NumberState.free.value,
        },
    )


_PURPOSES = frozenset(p.value for p in BlockPurpose)


def site_zone(site, zone: str | None) -> str:
    """Return the zone to allocate from: the site's geographic zone, or 09, or the one asked if it fits."""
    home = zone_of_departement(site.departement)
    if zone is None:
        return home
    if zone not in ALLOWED_ZONES:
        raise InputError(f"zone must be one of {', '.join(ALLOWED_ZONES)}, got {zone!r}", field="zone")
    if zone in GEOGRAPHIC_ZONES and zone != home:
        raise InputError(
            f"zone {zone} is not the zone of site {site.name!r} (département {site.departement} → {home})",
            field="zone",
        )
    return zone


# The hot path in plain SQL run through the driver (no SQL compilation, no type processing per call):
# allocation is measured in thousands per second. Written with :name parameters (SQLite's style) and
# translated once to psycopg's %(name)s.
_HOT_SQL = {
    "site": "SELECT id, name, departement, address, postcode, city FROM site WHERE name = :name",
    # only quarantined numbers carry an end date: the partial index on it keeps these cheap (the IS NOT
    # NULL lets PostgreSQL's planner match it); the read comes first because an UPDATE, even of no row,
    # opens every index of the table for writing. `site_due` is `site` and `due` in one statement.
    # MIN() is answered from the index's first entry whatever the planner's statistics say.
    "due": "SELECT 1 WHERE (SELECT MIN(quarantine_until) FROM number WHERE quarantine_until IS NOT NULL)"
    " <= :day",
    "site_due": "SELECT id, name, departement, address, postcode, city,"
    " COALESCE((SELECT MIN(quarantine_until) FROM number WHERE quarantine_until IS NOT NULL) <= :day,"
    " FALSE) FROM site WHERE name = :name",
    "sweep": "UPDATE number SET state = :free, block_id = NULL, quarantine_until = NULL"
    " WHERE quarantine_until IS NOT NULL AND quarantine_until <= :day",
    "free": "SELECT e164 FROM number WHERE state = :free AND zone = :zone AND e164 > :after"
    " ORDER BY e164 LIMIT :chunk",
    # PostgreSQL: the first free numbers, locked, those another allocator holds skipped
    "free_locked": "SELECT e164 FROM number WHERE state = :free AND zone = :zone ORDER BY e164 LIMIT :chunk"
    " FOR UPDATE SKIP LOCKED",
    "claim": "SELECT e164 FROM number WHERE state = :free AND zone = :zone AND e164 BETWEEN :first AND :last"
    " FOR UPDATE SKIP LOCKED",
    "new_block": "INSERT INTO number_block (site_id, start, size, zone, purpose, ported, emergency_address,"
    " state, allocated_at, allocated_by) VALUES (:site_id, :start, :size, :zone, :purpose, :ported,"
    " :emergency_address, :state, :allocated_at, :allocated_by) RETURNING id",
    "new_block_id": "INSERT INTO number_block (id, site_id, start, size, zone, purpose, ported,"
    " emergency_address, state, allocated_at, allocated_by) VALUES (:id, :site_id, :start, :size, :zone,"
    " :purpose, :ported, :emergency_address, :state, :allocated_at, :allocated_by)",
    # PostgreSQL only: a data-modifying WITH runs once, so the block and its numbers go in one round trip
    "new_block_take": "WITH b AS (INSERT INTO number_block (site_id, start, size, zone, purpose, ported,"
    " emergency_address, state, allocated_at, allocated_by) VALUES (:site_id, :start, :size, :zone, :purpose,"
    " :ported, :emergency_address, :state, :allocated_at, :allocated_by) RETURNING id)"
    " UPDATE number SET state = :allocated, block_id = b.id FROM b WHERE number.state = :free"
    " AND number.zone = :zone AND number.e164 BETWEEN :first AND :last RETURNING b.id",
    # `zone` lets the (state, zone, e164) index serve the range
    "take": "UPDATE number SET state = :allocated, block_id = :block_id"
    " WHERE state = :free AND zone = :zone AND e164 BETWEEN :first AND :last",
}
_PG_SQL = {k: re.sub(r":(\w+)", r"%(\1)s", v) for k, v in _HOT_SQL.items()}
_STATES = {
    "free": NumberState.free.value,
    "allocated": NumberState.allocated.value,
    "quarantined": NumberState.quarantined.value,
}


class _SiteKey(NamedTuple):
    id: int
    name: str
    departement: str
    address: str
    postcode: str
    city: str


def driver(db: Session | Connection | Driver) -> Driver:
    """Return the DBAPI connection under a Session or Connection (in its transaction)."""
    if isinstance(db, Driver):
        return db
    conn = db.connection() if isinstance(db, Session) else db
    return Driver(conn.connection.driver_connection, conn.dialect.name)


def _hot(d: Driver, statement: str, **params):
    """Run one hot-path statement on the DBAPI cursor, inside the connection's transaction."""
    cursor = d.dbapi.cursor()
    cursor.execute(_HOT_SQL[statement] if d.dialect == "sqlite" else _PG_SQL[statement], params)
    return cursor


def _db_value(d: Driver, value: date | datetime) -> object:
    """Dates and naive-UTC datetimes as SQLAlchemy stores them on SQLite (text); objects elsewhere."""
    if d.dialect != "sqlite":
        return value
    return value.isoformat() if not isinstance(value, datetime) else value.strftime("%Y-%m-%d %H:%M:%S.%f")


def _db_instant(d: Driver, at: datetime | None) -> object:
    """The instant `at` (default now) as a UtcDateTime column stores it (naive UTC)."""
    naive = (at.astimezone(UTC) if at is not None else utcnow()).replace(tzinfo=None)
    return naive if d.dialect != "sqlite" else naive.isoformat(" ", "microseconds")


def sweep_quarantine(conn: Connection | Driver, today: date) -> int:
    """Free the numbers whose quarantine ended on or before `today`; return how many."""
    d = driver(conn)
    day = _db_value(d, today)
    if _hot(d, "due", day=day).fetchone() is None:
        return 0
    return _hot(d, "sweep", day=day, free=_STATES["free"]).rowcount or 0


def _free_numbers(conn: Driver, zone: str, chunk: int) -> Iterator[int]:
    """Yield the free numbers of a zone in increasing order."""
    after = -1
    while True:
        rows = [
            r[0]
            for r in _hot(conn, "free", free=_STATES["free"], zone=zone, after=after, chunk=chunk).fetchall()
        ]
        yield from rows
        if len(rows) < chunk:
            return
        after = rows[-1]


def _claim(conn: Driver, zone: str, start: int, size: int) -> bool:
    """Lock the rows of a candidate block (PostgreSQL); True when this transaction got all of them."""
    rows = _hot(conn, "claim", free=_STATES["free"], zone=zone, first=start, last=start + size - 1).fetchall()
    return len(rows) == size


def first_free_block(db: Connection | Driver, zone: str, size: int) -> int | None:
    """Return the start of the first aligned run of `size` free numbers in `zone` (or None).

    On PostgreSQL the run is then locked FOR UPDATE SKIP LOCKED: when a concurrent allocator holds
    part of it, the search goes on past it instead of waiting.
    """
    conn = driver(db)
    claim = conn.dialect == "postgresql"
    # the common case first: the first `size` free numbers (locked, on PostgreSQL) are an aligned run
    first = "free_locked" if claim else "free"
    head = _hot(conn, first, free=_STATES["free"], zone=zone, after=-1, chunk=size).fetchall()
    if len(head) == size and head[0][0] % size == 0 and head[-1][0] == head[0][0] + size - 1:
        return head[0][0]
    run_start, run_len, prev = None, 0, None
    for n in _free_numbers(conn, zone, max(2 * size, 16)):
        if run_start is not None and n == prev + 1:
            run_len += 1
        elif n % size == 0:
            run_start, run_len = n, 1
        else:
            run_start, run_len = None, 0
        if run_start is not None and run_len == size:
            if not claim or _claim(conn, zone, run_start, size):
                return run_start
            run_start, run_len = None, 0
        prev = n
    return None


def allocate_block(
    db: Session | Connection | Driver,
    site: str,
    size: int,
    *,
    zone: str | None = None,
    purpose: str = BlockPurpose.extensions.value,
    actor: str,
    today: date | None = None,
    at: datetime | None = None,
) -> Allocation:
    """Give `site` a contiguous, size-aligned block of free numbers carrying its emergency address.

    `at` is the instant recorded (default now); `today` the day quarantines are swept for (default the
    Paris date of `at`).
    """
    if size not in BLOCK_SIZES or purpose not in _ALLOWED_PURPOSES:
        _refuse(size, purpose)
    d = db if type(db) is Driver else driver(db)
    sqlite = d.dialect == "sqlite"
    sql = _HOT_SQL if sqlite else _PG_SQL
    cursor = d.dbapi.cursor()
    day = _db_value(d, today or paris_day(at))
    cursor.execute(sql["site_due"], {"name": site, "day": day})
    found = cursor.fetchone()
    if found is None:
        raise InputError(f"unknown site {site!r}", field="site")
    owner = _SiteKey(*found[:6])
    zone = site_zone(owner, zone)
    if found[6]:  # some quarantine is over: free those numbers first
        cursor.execute(sql["sweep"], {"day": day, "free": _STATES["free"]})
    start = first_free_block(d, zone, size)
    if start is None:
        raise NumbersExhausted(owner.name, zone, size)
    address = postal_address(owner)  # 004 §7: every block carries its site's address
    last = start + size - 1
    values = {
        "site_id": owner.id,
        "start": start,
        "size": size,
        "zone": zone,
        "purpose": purpose,
        "ported": False,
        "emergency_address": address,
        "state": _BLOCK_ALLOCATED,
        "allocated_at": _db_instant(d, at),
        "allocated_by": actor,
        "first": start,
        "last": last,
        **_STATES,
    }
    if sqlite:
        cursor.execute(sql["new_block"], values)
        block_id = cursor.fetchone()[0]
        cursor.execute(sql["take"], values | {"block_id": block_id})
        taken = cursor.rowcount
    else:  # one round trip: the block and its numbers in one statement
        cursor.execute(sql["new_block_take"], values)
        rows = cursor.fetchall()
        taken, block_id = len(rows), rows[0][0] if rows else None
    if taken != size:
        raise AllocationConflict(f"block {format_e164(start)}/{size}: got {taken} of {size} numbers")
    return Allocation(block_id, owner.name, start, size, zone, purpose, address)


_ALLOWED_PURPOSES = _PURPOSES - {p.value for p in REFUSED_PURPOSES}
_BLOCK_ALLOCATED = BlockState.allocated.value


def _refuse(size: int, purpose: str) -> None:
    """Raise the InputError saying why a block of `size` for `purpose` cannot be allocated."""
    if size not in BLOCK_SIZES:
        raise InputError(
            f"block size must be one of {', '.join(map(str, BLOCK_SIZES))}, got {size}", field="size"
        )
    if purpose not in _PURPOSES:
        raise InputError(f"unknown purpose {purpose!r}", field="purpose")
    # 004 §2/§9: alarm and lift-emergency lines must stay outside the service.
    raise InputError(
        f"{purpose} lines must stay outside the service (004 §2): block refused", field="purpose"
    )


def find_block(session: Session, ref: str) -> NumberBlock:
    """Return the block with id `ref`, or holding number `ref` (allocated or quarantined)."""
    ref = ref.strip()
    if ref.isdigit() and len(ref) < 9:
        block = session.get(NumberBlock, int(ref))
        if block is None:
            raise InputError(f"unknown block {ref}", field="block")
        return block
    e164 = parse_number(ref, field="block")
    held = session.scalar(select(Number.block_id).where(Number.e164 == e164))
    if held is not None:
        return session.get(NumberBlock, held)
    # a number no block holds now: the last block it was in (blocks are not indexed by start, a scan)
    block = session.scalar(
        select(NumberBlock)
        .where(NumberBlock.start <= e164, NumberBlock.start + NumberBlock.size > e164)
        .order_by(NumberBlock.id.desc())
        .limit(1)
    )
    if block is None:
        raise InputError(f"{format_e164(e164)} is in no block", field="block")
    return block


def release_block(
    session: Session,
    ref: str,
    *,
    actor: str,
    quarantine_days: int = DEFAULT_QUARANTINE_DAYS,
    today: date | None = None,
    at: datetime | None = None,
) -> NumberBlock:
    """Take a block back: its numbers stay in quarantine `quarantine_days` days before being free again.

    A ported block's numbers are not ours to reuse: they are `returned` at once (to their donor).
    """
    if quarantine_days < 0:
        raise InputError(f"quarantine must be ≥ 0 days, got {quarantine_days}", field="quarantine_days")
    block = find_block(session, ref)
    if block.state != BlockState.allocated.value:
        raise StateError(f"block {block.id} ({format_e164(block.start)}/{block.size}) is already released")
    release_held(
        session, block, actor=actor, quarantine_days=quarantine_days, day=today or paris_day(at), at=at
    )
    session.flush()
    return block


def release_held(
    session: Session, block: NumberBlock, *, actor: str, quarantine_days: int, day: date, at: datetime | None
) -> None:
    """Release an allocated block: its numbers to quarantine until `day` + `quarantine_days`, or, ported
    ones, returned to their donor."""
    held = (
        Number.e164.between(block.start, block.start + block.size - 1)
        & (Number.block_id == block.id)
        & (Number.state == NumberState.allocated.value)
    )
    if block.ported:
        session.execute(update(Number).where(held).values(state=NumberState.returned.value, block_id=None))
        until = None
    else:
        until = day + timedelta(days=quarantine_days)
        session.execute(
            update(Number).where(held).values(state=NumberState.quarantined.value, quarantine_until=until)
        )
    block.state = BlockState.released.value
    block.released_at = at or utcnow()
    block.released_by = actor
    block.quarantine_until = until


def list_blocks(session: Session, site: str | None = None, state: str | None = None) -> list[NumberBlock]:
    """Return the blocks (of one site, in one state, or all), by start then id."""
    query = select(NumberBlock)
    if site is not None:
        query = query.where(NumberBlock.site_id == get_site(session, site).id)
    if state is not None:
        if state not in {s.value for s in BlockState}:
            raise InputError(f"unknown block state {state!r}", field="state")
        query = query.where(NumberBlock.state == state)
    return list(session.scalars(query.order_by(NumberBlock.start, NumberBlock.id)))


@dataclass(frozen=True)
class RangeUsage:
    """A range, its last number and how many of its numbers are free, allocated, quarantined, returned."""

    range: NumberRange
    free: int
    allocated: int
    quarantined: int
    returned: int = 0
    last: int | None = None  # a ported range's numbers are scattered: its largest one


def list_ranges(session: Session) -> list[RangeUsage]:
    """Return every range with its counts per number state."""
    counts: dict[tuple[int, str], int] = {
        (rid, state): n
        for rid, state, n in session.execute(
            select(Number.range_id, Number.state, func.count()).group_by(Number.range_id, Number.state)
        )
    }
    tops = dict(
        session.execute(select(Number.range_id, func.max(Number.e164)).group_by(Number.range_id)).all()
    )
    out = []
    for rng in session.scalars(select(NumberRange).order_by(NumberRange.start)):
        out.append(
            RangeUsage(
                rng,
                *(counts.get((rng.id, s.value), 0) for s in NumberState),
                last=tops.get(rng.id, rng.start + rng.size - 1),
            )
        )
    return out


def get_number(session: Session, ref: str) -> Number:
    """Return the number `ref` of a loaded range (InputError when no range holds it)."""
    e164 = parse_number(ref)
    number = session.get(Number, e164)
    if number is None:
        raise InputError(f"{format_e164(e164)} is in no loaded range", field="number")
    return number


def block_of(session: Session, number: Number) -> NumberBlock | None:
    """Return the block a number is allocated or quarantined in (or None)."""
    return None if number.block_id is None else session.get(NumberBlock, number.block_id)


def numbers_between(session: Session, first: int, last: int) -> list[Number]:
    """Return the numbers first … last in order."""
    return list(
        session.scalars(
            select(Number).where(and_(Number.e164 >= first, Number.e164 <= last)).order_by(Number.e164)
        )
    )


def _runs(numbers: list[int]) -> list[tuple[int, int]]:
    """Return the maximal runs of consecutive numbers as (first, length), in order."""
    runs: list[tuple[int, int]] = []
    for n in sorted(set(numbers)):
        if runs and runs[-1][0] + runs[-1][1] == n:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((n, 1))
    return runs


def ported_range(session: Session, donor: str, first: int, *, actor: str, at: datetime | None) -> NumberRange:
    """Return the range of kind `ported` of a donor operator in the zone of `first`, created when new."""
    zone = zone_of(first)
    rng = session.scalar(
        select(NumberRange).where(
            NumberRange.kind == RangeKind.ported.value, NumberRange.donor == donor, NumberRange.zone == zone
        )
    )
    if rng is None:
        rng = NumberRange(
            start=first,
            size=0,
            zone=zone,
            kind=RangeKind.ported.value,
            donor=donor,
            created_at=at or utcnow(),
            created_by=actor,
        )
        session.add(rng)
        session.flush()
    return rng


def port_in(
    session: Session, site, numbers: list[int], *, donor: str, actor: str, at: datetime | None = None
) -> list[Allocation]:
    """Make ported-in numbers blocks of `site`: one block per run of consecutive numbers, marked `ported`
    (exempt from size alignment), carrying the site's emergency address (004 §7).

    Each number joins the donor's `ported` range of its zone (so every number stays in one range); a
    number given back earlier (`returned`) is taken again. A number of our own ranges cannot be ported in.
    """
    wanted = sorted(set(numbers))
    existing = {n.e164: n for n in session.scalars(select(Number).where(Number.e164.in_(wanted)))}
    ranges = {
        r.id: r
        for r in session.scalars(
            select(NumberRange).where(NumberRange.id.in_({n.range_id for n in existing.values()}))
        )
    }
    for n in existing.values():
        if ranges[n.range_id].kind != RangeKind.ported.value or n.state != NumberState.returned.value:
            raise StateError(
                f"{format_e164(n.e164)} is already {n.state} in range {n.range_id}: not portable in"
            )
    address = postal_address(site)
    when = at or utcnow()
    out = []
    per_zone: dict[str, NumberRange] = {}
    for first, length in _runs(wanted):
        block = NumberBlock(
            site_id=site.id,
            start=first,
            size=length,
            zone=zone_of(first),
            purpose=BlockPurpose.extensions.value,
            ported=True,
            emergency_address=address,
            state=BlockState.allocated.value,
            allocated_at=when,
            allocated_by=actor,
        )
        session.add(block)
        session.flush()
        for e164 in range(first, first + length):
            number = existing.get(e164)
            if number is None:
                rng = per_zone.get(zone_of(e164))
                if rng is None:
                    rng = per_zone[zone_of(e164)] = ported_range(session, donor, e164, actor=actor, at=at)
                rng.start = min(rng.start, e164)
                rng.size += 1
                session.add(
                    Number(
                        e164=e164,
                        range_id=rng.id,
                        zone=zone_of(e164),
                        state=NumberState.allocated.value,
                        block_id=block.id,
                    )
                )
            else:
                number.state, number.block_id = NumberState.allocated.value, block.id
        out.append(Allocation(block.id, site.name, first, length, block.zone, block.purpose, address, True))
    session.flush()
    return out


def extension_blocks(extensions: int) -> list[int]:
    """Return the block sizes giving exactly `extensions` numbers (000 §1: one SDA per extension),
    largest first, by decimal decomposition: 1234 → 1000, 100, 100, 10, 10, 10, 1, 1, 1, 1."""
    if extensions < 0:
        raise InputError(f"extensions must be ≥ 0, got {extensions}", field="extensions")
    sizes: list[int] = []
    thousands, rest = divmod(extensions, 1000)
    sizes += [1000] * thousands
    for size in (100, 10, 1):
        count, rest = divmod(rest, size)
        sizes += [size] * count
    return sizes


class _ZonePool:
    """The free numbers of one zone, read in order as needed, and what this transaction took of them.

    A candidate start that fails once fails for the rest of the transaction (numbers are only taken),
    so each block size keeps a cursor that only moves forward: first fit at amortised constant cost.
    """

    CHUNK = 2048  # about what a batch of 500 sites takes from one zone

    def __init__(self, conn: Driver, zone: str) -> None:
        self.conn, self.zone = conn, zone
        self.free: list[int] = []
        self.taken: set[int] = set()
        self.cursor: dict[int, int] = {}
        self.done = False

    def _more(self) -> bool:
        if self.done:
            return False
        after = self.free[-1] if self.free else -1
        rows = _hot(
            self.conn, "free", free=_STATES["free"], zone=self.zone, after=after, chunk=self.CHUNK
        ).fetchall()
        self.free.extend(r[0] for r in rows)
        self.done = len(rows) < self.CHUNK
        return bool(rows)

    def take(self, size: int) -> tuple[int, int] | None:
        """Return (start, index) of the first aligned free run of `size` not yet taken, now taken."""
        free, taken = self.free, self.taken
        i = self.cursor.get(size, 0)
        while True:
            if i + size > len(free) and not self._more():
                self.cursor[size] = i
                return None
            if i + size > len(free):
                continue
            start = free[i]
            if start % size or free[i + size - 1] != start + size - 1:
                i += 1
                continue
            clash = next((j for j in range(i, i + size) if free[j] in taken), None)
            if clash is not None:
                i = clash + 1
                continue
            taken.update(range(start, start + size))
            self.cursor[size] = i + size
            return start, i

    def give_back(self, start: int, size: int, index: int) -> None:
        """Undo a take (a site left out of the batch): its numbers may be taken again."""
        self.taken.difference_update(range(start, start + size))
        for s in self.cursor:
            self.cursor[s] = min(self.cursor[s], index)


def _next_block_ids(conn: Connection, count: int) -> list[int]:
    """Reserve `count` block ids (SQLite: this transaction holds the write lock; PostgreSQL: the sequence)."""
    if conn.dialect.name == "sqlite":
        top = conn.exec_driver_sql("SELECT COALESCE(MAX(id), 0) FROM number_block").scalar()
        return list(range(top + 1, top + 1 + count))
    rows = conn.exec_driver_sql(
        "SELECT nextval(pg_get_serial_sequence('number_block', 'id')) FROM generate_series(1, %(n)s)",
        {"n": count},
    )
    return [r[0] for r in rows]


def allocate_bulk(
    db: Session | Connection,
    requests: list[tuple[str, int]] | list[tuple[str, int, str | None]],
    *,
    actor: str,
    at: datetime | None = None,
    today: date | None = None,
    strict: bool = True,
) -> tuple[dict[str, list[Allocation]], list[NumbersExhausted]]:
    """Give each (site, extensions[, zone]) exactly that many numbers in aligned blocks, in one transaction.

    `zone` (default the site's geographic one) may be 09, or the site's own (see `site_zone`).

    The bulk path of fleet provisioning: free numbers are read once per zone in order, blocks are chosen
    in memory, then written with one `executemany` per table. Each block carries its site's emergency
    address (004 §7). A site whose zone has no room left raises `NumbersExhausted` (strict) or is left
    out whole and reported (not strict). A concurrent allocator's overlap raises AllocationConflict.
    """
    conn = db.connection() if isinstance(db, Session) else db
    names = sorted({r[0] for r in requests})
    sites: dict[str, _SiteKey] = {}
    for i in range(0, len(names), 500):
        columns = (Site.id, Site.name, Site.departement, Site.address, Site.postcode, Site.city)
        rows = conn.execute(select(*columns).where(Site.name.in_(names[i : i + 500])))
        sites.update((r[1], _SiteKey(*r)) for r in rows)
    unknown = [n for n in names if n not in sites]
    if unknown:
        raise InputError(f"unknown site {unknown[0]!r}", field="site")
    sweep_quarantine(conn, today or paris_day(at))
    pools: dict[str, _ZonePool] = {}
    planned: list[tuple[_SiteKey, str, int, int]] = []  # site, zone, start, size
    exhausted: list[NumbersExhausted] = []
    for request in requests:
        name, extensions = request[0], request[1]
        owner = sites[name]
        zone = site_zone(owner, request[2] if len(request) > 2 else None)
        pool = pools.get(zone) or pools.setdefault(zone, _ZonePool(driver(conn), zone))
        mine: list[tuple[int, int, int]] = []
        for size in extension_blocks(extensions):
            got = pool.take(size)
            if got is None:
                error = NumbersExhausted(name, zone, size)
                if strict:
                    raise error
                for start, sz, index in reversed(mine):
                    pool.give_back(start, sz, index)
                exhausted.append(error)
                mine = []
                break
            mine.append((got[0], size, got[1]))
        planned += [(owner, zone, start, size) for start, size, _ in mine]
    ids = _next_block_ids(conn, len(planned))
    when = _db_instant(driver(conn), at)
    blocks = [
        {
            "id": block_id,
            "site_id": owner.id,
            "start": start,
            "size": size,
            "zone": zone,
            "purpose": BlockPurpose.extensions.value,
            "ported": False,
            "emergency_address": postal_address(owner),  # 004 §7
            "state": BlockState.allocated.value,
            "allocated_at": when,
            "allocated_by": actor,
        }
        for block_id, (owner, zone, start, size) in zip(ids, planned, strict=True)
    ]
    cursor = conn.connection.driver_connection.cursor()
    dialect = conn.dialect.name
    pick = _HOT_SQL if dialect == "sqlite" else _PG_SQL
    if blocks:
        cursor.executemany(pick["new_block_id"], blocks)
        takes = [
            {"zone": b["zone"], "first": b["start"], "last": b["start"] + b["size"] - 1, "block_id": b["id"]}
            | _STATES
            for b in blocks
        ]
        if dialect == "sqlite":
            cursor.executemany(pick["take"], takes)
            got = cursor.rowcount
        else:  # one statement, so its row count is the total
            cursor.execute(
                "UPDATE number n SET state = %(allocated)s, block_id = v.id FROM (SELECT"
                " unnest(%(ids)s::bigint[]) AS id, unnest(%(firsts)s::bigint[]) AS first,"
                " unnest(%(lasts)s::bigint[]) AS last, unnest(%(zones)s::text[]) AS zone) v"
                " WHERE n.state = %(free)s AND n.zone = v.zone AND n.e164 BETWEEN v.first AND v.last",
                {
                    "ids": [t["block_id"] for t in takes],
                    "firsts": [t["first"] for t in takes],
                    "lasts": [t["last"] for t in takes],
                    "zones": [t["zone"] for t in takes],
                }
                | _STATES,
            )
            got = cursor.rowcount
        wanted = sum(b["size"] for b in blocks)
        if got != wanted:
            raise AllocationConflict(f"bulk allocation: got {got} of {wanted} numbers")
    out: dict[str, list[Allocation]] = {r[0]: [] for r in requests}
    for b, (owner, *_rest) in zip(blocks, planned, strict=True):
        out[owner.name].append(
            Allocation(
                b["id"], owner.name, b["start"], b["size"], b["zone"], b["purpose"], b["emergency_address"]
            )
        )
    for error in exhausted:
        out.pop(error.site, None)
    return out, exhausted
