"""Engines, URLs and migrations."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from contracts.errors import InputError, StateError
from provisioning import db
from provisioning.models import Base


def test_default_url_is_centrex_db_in_cwd(monkeypatch):
    monkeypatch.delenv("CENTREX_DB", raising=False)
    assert db.resolve_url(None) == "sqlite:///centrex.db"


def test_env_and_postgres_urls(monkeypatch):
    monkeypatch.setenv("CENTREX_DB", "postgresql://u@/x?host=/tmp")
    assert db.resolve_url(None) == "postgresql+psycopg://u@/x?host=/tmp"
    assert db.resolve_url("inv.db") == "sqlite:///inv.db"


def test_unknown_scheme_is_bad_input():
    with pytest.raises(InputError):
        db.resolve_url("mysql://x/y")


def test_migrations_match_models(db_url):
    """The Alembic migrations build exactly the schema the models describe."""
    with db.engine_for(db_url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    assert db.current_revision(db_url) == db.head_revision()


def test_fresh_database_is_created_on_first_use(tmp_path):
    url = str(tmp_path / "fresh.db")
    with db.session_scope(url):
        pass
    assert db.current_revision(url) == db.head_revision()


def test_old_schema_is_refused(tmp_path):
    url = str(tmp_path / "old.db")
    db.upgrade(url, "base")
    with db.engine_for(url).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE stray (x INTEGER)")
    db.dispose_all()
    with pytest.raises(StateError, match="db upgrade"):
        with db.session_scope(url):
            pass


def test_driver_transaction_commits_or_rolls_back_whole(inventory):
    from datetime import date

    from sqlalchemy import text

    DAY = date(2026, 5, 4)  # noqa: N806 — injected, never the wall clock
    from provisioning.numbers import allocate_block

    def half_then_fail(d):
        allocate_block(d, "paris-hq", 10, actor="t", today=DAY)
        raise InputError("changed my mind")

    with pytest.raises(InputError, match="changed my mind"):
        db.driver_transaction(inventory, half_then_fail)
    with pytest.raises(InputError, match="unknown site"):
        db.driver_transaction(inventory, lambda d: allocate_block(d, "nowhere", 10, actor="t", today=DAY))
    got = db.driver_transaction(inventory, lambda d: allocate_block(d, "paris-hq", 10, actor="t", today=DAY))
    assert got.start == 33170000000  # the first attempt left nothing behind
    with db.engine_for(inventory).connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM number_block")).scalar() == 1
