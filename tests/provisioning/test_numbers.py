"""Ranges, aligned blocks, zones, quarantine, emergency address, refused alarm/lift blocks."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from contracts.errors import InputError, StateError
from provisioning import db
from provisioning.check import check
from provisioning.models import Number, NumberBlock, NumberRange
from provisioning.numbers import add_range, allocate_block, get_number, list_ranges, release_block

D0 = date(2026, 5, 4)


def alloc(url, site, size, **kw):
    kw.setdefault("actor", "test")
    kw.setdefault("today", D0)
    return db.in_transaction(url, lambda conn: allocate_block(conn, site, size, **kw), core=True)


def snapshot(url):
    with db.session_scope(url) as s:
        return (
            s.scalar(select(func.count()).select_from(NumberRange)),
            s.scalar(select(func.count()).select_from(NumberBlock)),
            sorted(s.execute(select(Number.state, func.count()).group_by(Number.state)).all()),
        )


def test_blocks_are_contiguous_aligned_and_first_fit(inventory):
    a = alloc(inventory, "paris-hq", 1)
    b = alloc(inventory, "paris-hq", 10)
    c = alloc(inventory, "paris-hq", 100)
    d = alloc(inventory, "paris-hq", 1000)
    e = alloc(inventory, "paris-hq", 1)
    assert a.start == 33170000000
    assert b.start == 33170000010  # 33170000001…9 cannot start a 10-block
    assert c.start == 33170000100
    assert d.start == 33170001000
    assert e.start == 33170000001  # first fit fills the hole
    for blk in (a, b, c, d, e):
        assert blk.start % blk.size == 0
    with db.session_scope(inventory) as s:
        held = s.scalars(select(Number.e164).where(Number.block_id == c.id).order_by(Number.e164)).all()
    assert held == list(range(c.start, c.start + 100))


def test_block_carries_the_site_emergency_address(inventory):
    blk = alloc(inventory, "lyon", 10, zone="09")
    assert blk.emergency_address == "2 place Bellecour, 69002 Lyon"


def test_zone_defaults_to_the_site_region_and_is_checked(inventory):
    assert alloc(inventory, "strasbourg", 10).zone == "03"
    assert alloc(inventory, "paris-hq", 10, zone="09").zone == "09"
    with pytest.raises(InputError, match="zone 03 is not the zone of site 'paris-hq'"):
        alloc(inventory, "paris-hq", 10, zone="03")
    with pytest.raises(StateError, match="zone 04"):
        alloc(inventory, "lyon", 10)  # no 04 range loaded


@pytest.mark.parametrize("purpose", ["alarm", "lift"])
def test_alarm_and_lift_blocks_are_refused(inventory, purpose):
    before = snapshot(inventory)
    with pytest.raises(InputError, match="004 §2"):
        alloc(inventory, "paris-hq", 10, purpose=purpose)
    assert snapshot(inventory) == before


@pytest.mark.parametrize(
    ("site", "size", "kw", "error"),
    [
        ("paris-hq", 7, {}, "block size must be one of"),
        ("nowhere", 10, {}, "unknown site"),
        ("paris-hq", 10, {"zone": "06"}, "zone must be one of"),
    ],
)
def test_bad_allocation_changes_nothing(inventory, site, size, kw, error):
    before = snapshot(inventory)
    with pytest.raises(InputError, match=error):
        alloc(inventory, site, size, **kw)
    assert snapshot(inventory) == before


def test_exhausted_zone_is_refused_and_changes_nothing(inventory):
    for _ in range(10):
        alloc(inventory, "paris-hq", 1000)
    before = snapshot(inventory)
    with pytest.raises(StateError, match="no free aligned block of 1000"):
        alloc(inventory, "paris-hq", 1000)
    assert snapshot(inventory) == before
    assert alloc(inventory, "paris-hq", 1, zone="09").zone == "09"  # 09 still has room when asked


@pytest.mark.parametrize(
    ("start", "size", "error"),
    [
        ("+33612345678", 10, "geographic"),
        ("not a number", 10, "not a phone number"),
        ("+33170005000", 10, "overlaps range"),
        ("+33169999995", 10, "overlaps range"),
        ("+33170000000", 0, "range size"),
        ("+33199999999", 10, "leaves zone 01"),
    ],
)
def test_bad_ranges_change_nothing(inventory, start, size, error):
    before = snapshot(inventory)
    with pytest.raises(InputError, match=error):
        with db.session_scope(inventory) as s:
            add_range(s, start, size, "test")
    assert snapshot(inventory) == before


def test_release_quarantines_then_frees(inventory):
    blk = alloc(inventory, "paris-hq", 10)
    with db.session_scope(inventory) as s:
        released = release_block(s, "+33170000003", actor="test", quarantine_days=90, today=D0)
        assert released.quarantine_until == date(2026, 8, 2)
        assert get_number(s, "0170000003").state == "quarantined"
    # during quarantine the numbers are not reused
    assert alloc(inventory, "paris-hq", 10, today=date(2026, 8, 1)).start == blk.start + 10
    # once it ends, they are free again (first fit)
    assert alloc(inventory, "paris-hq", 10, today=date(2026, 8, 2)).start == blk.start
    with db.session_scope(inventory) as s:
        assert all(r.ok for r in check(s))
        with pytest.raises(StateError, match="already released"):
            release_block(s, str(released.id), actor="test", today=D0)


def test_quarantine_length_is_a_parameter(inventory):
    alloc(inventory, "paris-hq", 1)
    with db.session_scope(inventory) as s:
        assert release_block(s, "+33170000000", actor="t", quarantine_days=0, today=D0).quarantine_until == D0
        with pytest.raises(InputError):
            release_block(s, "+33170000000", actor="t", quarantine_days=-1, today=D0)
    assert alloc(inventory, "paris-hq", 1).start == 33170000000


def test_range_usage(inventory):
    alloc(inventory, "paris-hq", 100)
    with db.session_scope(inventory) as s:
        usage = {u.range.start: (u.free, u.allocated, u.quarantined) for u in list_ranges(s)}
    assert usage[33170000000] == (9900, 100, 0)
