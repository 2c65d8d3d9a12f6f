"""Alembic environment: uses the connection handed over by `provisioning.db.upgrade`, else $CENTREX_DB."""

from __future__ import annotations

from alembic import context

from provisioning.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        from provisioning.db import engine_for

        with engine_for(None).begin() as conn:
            _migrate(conn)
    else:
        _migrate(connection)


def _migrate(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run()
