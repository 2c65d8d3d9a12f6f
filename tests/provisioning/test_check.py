"""`db check` finds each broken invariant (damage done behind the API's back)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from provisioning import db
from provisioning.check import check
from provisioning.mandates import act, create_mandate
from provisioning.numbers import allocate_block


def failing(url) -> dict[str, list[str]]:
    with db.session_scope(url) as s:
        return {r.name: r.violations for r in check(s) if not r.ok}


@pytest.fixture
def populated(inventory):
    for size in (1, 10, 100):
        db.in_transaction(
            inventory,
            lambda c, n=size: allocate_block(c, "paris-hq", n, actor="t", today=date(2026, 5, 4)),
            core=True,
        )
    with db.session_scope(inventory) as s:
        m = create_mandate(
            s,
            site="paris-hq",
            holder="A",
            address="B",
            numbers=[33140000001],
            expires=date(2026, 12, 31),
            actor="t",
            today=date(2026, 5, 4),
        )
        act(s, m.id, "submit", actor="t", today=date(2026, 5, 4))
    assert failing(inventory) == {}
    return inventory


def damage(url, sql):
    with db.engine_for(url).begin() as conn:
        conn.execute(text(sql))


@pytest.mark.parametrize(
    ("sql", "broken"),
    [
        (
            "UPDATE number_block SET start = 33170000100, size = 100 WHERE size = 10",
            "no_number_in_two_blocks",
        ),
        (
            "UPDATE number SET block_id = NULL, state = 'free' WHERE e164 = 33170000015",
            "no_block_without_its_numbers",
        ),
        ("UPDATE number_block SET start = 33170000005 WHERE size = 10", "block_alignment"),
        ("UPDATE number_block SET purpose = 'lift' WHERE size = 1", "emergency_address"),
        ("DELETE FROM mandate_event WHERE action = 'submit'", "audit_trail_complete"),
        ("UPDATE mandate SET state = 'accepted'", "audit_trail_complete"),
        ("DELETE FROM number WHERE e164 = 33170009999", "ranges_complete"),
    ],
)
def test_each_invariant_is_checked(populated, sql, broken):
    damage(populated, sql)
    assert broken in failing(populated)
