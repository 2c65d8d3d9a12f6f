"""Migration 0002 renames the stored rejection reason incomplete_list to non_exhaustive_list (000 §2.3)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from contracts.choices import RejectionReason
from provisioning import db
from provisioning.mandates import history

ROWS = """
INSERT INTO customer (id, name, created_at) VALUES (1, 'Acme', '2026-05-01 08:00:00')
--
INSERT INTO site (id, name, customer_id, address, postcode, city, departement, profile, created_at)
    VALUES (1, 'paris-hq', 1, '1 rue de Rivoli', '75001', 'Paris', '75', 'alleo', '2026-05-01 08:00:00')
--
INSERT INTO mandate (id, site_id, holder, address, expires, state, reason, created_at)
    VALUES (1, 1, 'ACME', '1 rue X', '2026-08-01', 'rejected', 'incomplete_list', '2026-05-01 08:00:00')
--
INSERT INTO mandate (id, site_id, holder, address, expires, state, reason, created_at)
    VALUES (2, 1, 'ACME', '1 rue X', '2026-08-01', 'rejected', 'wrong_holder', '2026-05-01 08:00:00')
--
INSERT INTO mandate_event (id, mandate_id, at, actor, action, from_state, to_state, detail)
    VALUES (1, 1, '2026-05-05 08:00:00', 'obl', 'reject', 'submitted', 'rejected',
            'wrong_address (address on record: 2 rue X); incomplete_list (not listed: +33 1 40 00 00 02)')
--
INSERT INTO mandate_event (id, mandate_id, at, actor, action, from_state, to_state, detail)
    VALUES (2, 2, '2026-05-05 08:00:00', 'ops', 'reject', 'submitted', 'rejected', 'wrong_holder: ACME')
"""


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_0001(request, tmp_path) -> Iterator[str]:
    """A database at revision 0001 holding a mandate rejected for `incomplete_list`, as 0001 wrote it."""
    url = (
        str(tmp_path / "old.db")
        if request.param == "sqlite"
        else request.getfixturevalue("pg_cluster").new_database()
    )
    assert db.upgrade(url, "0001") == "0001"
    with db.engine_for(url).begin() as conn:
        for statement in ROWS.split("\n--\n"):
            if statement.strip():
                conn.execute(sa.text(statement))
    yield url
    db.dispose_all()


def _stored(url: str) -> tuple[list[tuple[int, str]], list[str]]:
    with db.engine_for(url).connect() as conn:
        reasons = [tuple(r) for r in conn.execute(sa.text("SELECT id, reason FROM mandate ORDER BY id"))]
        details = [r[0] for r in conn.execute(sa.text("SELECT detail FROM mandate_event ORDER BY id"))]
    return reasons, details


def test_upgrade_renames_the_stored_reason_and_its_events(db_0001):
    assert db.upgrade(db_0001, "0002") == "0002"
    assert _stored(db_0001)[0] == [(1, "non_exhaustive_list"), (2, "wrong_holder")]
    assert db.upgrade(db_0001) == db.head_revision()  # the later migrations keep the renamed rows
    reasons, details = _stored(db_0001)
    assert reasons == [(1, "non_exhaustive_list"), (2, "wrong_holder")]
    assert details == [
        "wrong_address (address on record: 2 rue X); non_exhaustive_list (not listed: +33 1 40 00 00 02)",
        "wrong_holder: ACME",
    ]
    assert {r for _, r in reasons} <= {r.value for r in RejectionReason}
    with db.session_scope(db_0001) as s:  # the upgraded database is usable by the inventory code
        assert history(s, 1)[-1].detail.endswith("non_exhaustive_list (not listed: +33 1 40 00 00 02)")


def test_downgrade_restores_the_0001_name(db_0001):
    db.upgrade(db_0001)
    from alembic import command

    with db.engine_for(db_0001).begin() as conn:
        command.downgrade(db._alembic_config(conn), "0001")
    reasons, details = _stored(db_0001)
    assert reasons == [(1, "incomplete_list"), (2, "wrong_holder")]
    assert "incomplete_list (not listed" in details[0]
