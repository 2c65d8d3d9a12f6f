"""Migration 0003 (the fleet model) upgrades a database holding 0001 data, and `db check` still holds."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from provisioning import db
from provisioning.check import check

ROWS_0001 = [
    "INSERT INTO customer (id, name, created_at) VALUES (1, 'Acme', '2026-01-02 10:00:00')",
    "INSERT INTO site (id, name, customer_id, address, postcode, city, departement, profile, service_start,"
    " created_at) VALUES (1, 'hq', 1, '1 rue de Rivoli', '75001', 'Paris', '75', 'alleo', '2026-01-15',"
    " '2026-01-02 10:00:00'), (2, 'lyon', 1, '2 place Bellecour', '69002', 'Lyon', '69', 'allset', NULL,"
    " '2026-01-02 10:00:00')",
    "INSERT INTO tenant (id, name, domain, channel_limit, customer_id) VALUES (1, 'acme', 'acme.test', 4, 1)",
    "INSERT INTO sip_account (id, tenant_id, username, ha1) VALUES (1, 1, '1001', "
    " '0123456789abcdef0123456789abcdef')",
    "INSERT INTO number_range (id, start, size, zone, created_at, created_by) VALUES"
    " (1, 33170000000, 10, '01', '2026-01-02 10:00:00', 'ops')",
    "INSERT INTO number_block (id, site_id, start, size, zone, purpose, emergency_address, state,"
    " allocated_at, allocated_by) VALUES (1, 1, 33170000000, 10, '01', 'extensions',"
    " '1 rue de Rivoli, 75001 Paris', 'allocated', '2026-01-03 10:00:00', 'ops')",
    "INSERT INTO number (e164, range_id, zone, state, block_id) SELECT 33170000000 + k, 1, '01',"
    " 'allocated', 1 FROM (SELECT 0 AS k UNION SELECT 1 UNION SELECT 2 UNION SELECT 3 UNION SELECT 4"
    " UNION SELECT 5 UNION SELECT 6 UNION SELECT 7 UNION SELECT 8 UNION SELECT 9) AS ks",
]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def old_db(request, tmp_path) -> str:
    """A database migrated to 0001 only, holding a customer, sites, a tenant, an account and a block."""
    if request.param == "sqlite":
        url = str(tmp_path / "old.db")
    else:
        url = request.getfixturevalue("pg_cluster").new_database()
    db.upgrade(url, "0001")
    with db.engine_for(url).begin() as conn:
        for sql in ROWS_0001:
            conn.execute(text(sql))
    yield url
    db.dispose_all()


def test_upgrade_keeps_the_data_and_gives_it_meaning(old_db):
    db.upgrade(old_db)
    assert db.current_revision(old_db) == db.head_revision()
    with db.engine_for(old_db).connect() as conn:
        sites = dict(conn.execute(text("SELECT name, state FROM site")).all())
        account = conn.execute(text("SELECT enabled, site_id, ha1 FROM sip_account")).one()
        tenant = conn.execute(
            text("SELECT channel_limit, override_channels, override_by, override_reason FROM tenant")
        ).one()
        kinds = set(conn.execute(text("SELECT kind FROM number_range")).scalars())
        ported = set(conn.execute(text("SELECT ported FROM number_block")).scalars())
    assert sites == {"hq": "in_service", "lyon": "ordered"}
    assert (bool(account.enabled), account.site_id, account.ha1) == (
        True,
        None,
        "0123456789abcdef0123456789abcdef",
    )
    assert (tenant.channel_limit, tenant.override_channels, tenant.override_by) == (4, 4, "migration 0003")
    assert "by hand" in tenant.override_reason
    assert (kinds, {bool(p) for p in ported}) == ({"operator"}, {False})
    with db.session_scope(old_db) as s:
        assert {r.name: r.violations for r in check(s) if not r.ok} == {}


def test_downgrade_returns_to_0001(old_db):
    db.upgrade(old_db)
    from alembic import command

    with db.engine_for(old_db).begin() as conn:
        command.downgrade(db._alembic_config(conn), "0001")
    assert db.current_revision(old_db) == "0001"
    with db.engine_for(old_db).connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM number")).scalar() == 10
