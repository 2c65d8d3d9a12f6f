"""`db check` finds each broken invariant (damage done behind the API's back)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text

from provisioning import db, fleet
from provisioning.accounts import add_tenant, ha1
from provisioning.check import check
from provisioning.mandates import act, create_mandate
from provisioning.numbers import allocate_block

AT = datetime(2026, 5, 4, 8, tzinfo=UTC)


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
        # a completed port (its numbers are ported blocks of paris-hq), tenants, accounts, a terminated site
        ported = create_mandate(
            s,
            site="paris-hq",
            holder="A",
            address="B",
            numbers=[33142000001, 33142000002],
            expires=date(2026, 12, 31),
            actor="t",
            at=AT,
        )
        for action, extra in (("submit", {}), ("accept", {}), ("schedule", {"port_date": date(2026, 5, 6)})):
            act(s, ported.id, action, actor="t", at=AT, **extra)
        act(s, ported.id, "complete", actor="t", at=datetime(2026, 5, 6, 8, tzinfo=UTC))
        fleet.add_tenants(
            s, [fleet.TenantSpec("acme", "acme.pbx.test", "Acme", "allocloud")], at=AT, actor="t"
        )
        accounts = [
            fleet.AccountSpec("acme", site, user, ha1(user, "acme.pbx.test", "pw"))
            for site, user in (("paris-hq", "101"), ("paris-hq", "102"), ("strasbourg", "201"))
        ]
        fleet.add_accounts(s, accounts, at=AT, actor="t")
        add_tenant(s, "by-hand", "hand.pbx.test", 3, actor="t")  # recorded as an override
        pending = create_mandate(
            s,
            site="strasbourg",
            holder="B",
            address="C",
            numbers=[33388000001],
            expires=date(2026, 12, 31),
            actor="t",
            at=AT,
        )
        act(s, pending.id, "submit", actor="t", at=AT)
        fleet.terminate_site(s, "strasbourg", at=AT, actor="t")  # cancels the submitted mandate
        assert pending.state == "cancelled" and pending.events[-1].detail == "site strasbourg terminated"
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
        ("DELETE FROM number WHERE e164 = 33142000002", "ranges_complete"),
        ("UPDATE site SET address = '5 rue Neuve' WHERE name = 'paris-hq'", "emergency_address"),
        (
            "UPDATE number SET state = 'returned', block_id = NULL WHERE e164 = 33142000001",
            "ported_numbers_in_site_blocks",
        ),
        ("UPDATE number_block SET ported = false WHERE start = 33142000001", "ported_numbers_in_site_blocks"),
        ("UPDATE tenant SET channel_limit = 9 WHERE name = 'acme'", "channel_limits"),
        ("UPDATE tenant SET channel_limit = 4 WHERE name = 'by-hand'", "channel_limits"),
        ("UPDATE tenant SET override_at = NULL WHERE name = 'by-hand'", "channel_limits"),
        (
            "UPDATE sip_account SET enabled = true WHERE username = '201'",
            "no_enabled_account_on_terminated_site",
        ),
        ("UPDATE number SET state = 'free', block_id = NULL WHERE e164 = 33142000001", "number_states"),
        (
            "UPDATE mandate SET state = 'submitted' WHERE state = 'cancelled'",
            "no_open_mandate_on_terminated_site",
        ),
    ],
)
def test_each_invariant_is_checked(populated, sql, broken):
    damage(populated, sql)
    assert broken in failing(populated)


def test_a_corrupted_emergency_address_names_its_block(populated):
    damage(
        populated, "UPDATE number_block SET emergency_address = '1 rue Fausse, 75001 Paris' WHERE size = 10"
    )
    with db.engine_for(populated).connect() as conn:
        block = conn.execute(text("SELECT id FROM number_block WHERE size = 10")).scalar()
    (violation,) = failing(populated)["emergency_address"]
    assert violation.startswith(f"block {block}: emergency address '1 rue Fausse, 75001 Paris'")
    assert "paris-hq" in violation
