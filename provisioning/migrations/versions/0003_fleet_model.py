"""the fleet model: site states, accounts' sites and enabled flag, tenants' contract basis and overrides,
ported ranges and blocks

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 08:50:00

Existing rows are given their meaning under the new rules, so `centrex db check` still holds:
- a site with a service-start date is `in_service`, one without is `ordered`;
- every account is enabled and on no site (accounts typed by hand name none);
- every tenant's channel limit was typed by hand (`--channels N`): it is recorded as an override by
  "migration 0003", so the limit is kept as it is;
- every range is the operator's own and no block is ported.
The indexes on number.block_id and number_block.start go (each allocation wrote them; see upgrade()).
The indexes on number.block_id and number_block.start go (every allocation wrote them): a block's
numbers are found by their interval of the primary key, and a number's block by its block_id.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Columns are added in place (ALTER TABLE ADD COLUMN, with a server default where NOT NULL): SQLite
    # cannot rebuild a table other tables' foreign keys point at (site, number_range, number_block).
    op.add_column("site", sa.Column("state", sa.String(length=12), nullable=False, server_default="ordered"))
    op.add_column("site", sa.Column("state_at", sa.DateTime(), nullable=True))
    op.add_column("site", sa.Column("state_by", sa.String(length=100), nullable=True))
    op.execute("UPDATE site SET state = 'in_service' WHERE service_start IS NOT NULL")

    with op.batch_alter_table("sip_account") as batch:  # nothing points at sip_account: rebuilt on SQLite
        batch.add_column(sa.Column("site_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("enabled", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch.create_foreign_key(batch.f("fk_sip_account_site_id_site"), "site", ["site_id"], ["id"])
        batch.create_index(batch.f("ix_sip_account_site_id"), ["site_id"], unique=False)

    for name, column in (
        ("profile", sa.String(length=40)),
        ("contract_channels", sa.Integer()),
        ("override_channels", sa.Integer()),
        ("override_at", sa.DateTime()),
        ("override_by", sa.String(length=100)),
        ("override_reason", sa.Text()),
    ):
        op.add_column("tenant", sa.Column(name, column, nullable=True))
    op.execute(
        sa.text(
            "UPDATE tenant SET override_channels = channel_limit, override_at = :at,"
            " override_by = 'migration 0003', override_reason = :why"
        ).bindparams(
            at=datetime.now(UTC).replace(tzinfo=None),
            why="channel limit typed by hand (--channels) before the contract basis was recorded",
        )
    )

    op.add_column(
        "number_range", sa.Column("kind", sa.String(length=10), nullable=False, server_default="operator")
    )
    op.add_column("number_range", sa.Column("donor", sa.String(length=100), nullable=True))
    op.create_index("uq_number_range_donor_zone", "number_range", ["donor", "zone"], unique=True)

    op.add_column(
        "number_block", sa.Column("ported", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    # indexes every allocation wrote: a block's numbers are found by their e164 interval (the primary
    # key), and a number's block by its block_id
    op.drop_index("ix_number_block_id", table_name="number")
    op.drop_index("ix_number_block_start", table_name="number_block")


def downgrade() -> None:
    op.create_index("ix_number_block_start", "number_block", ["start"], unique=False)
    op.create_index("ix_number_block_id", "number", ["block_id"], unique=False)
    op.drop_column("number_block", "ported")
    op.drop_index("uq_number_range_donor_zone", table_name="number_range")
    op.drop_column("number_range", "donor")
    op.drop_column("number_range", "kind")
    for column in (
        "override_reason",
        "override_by",
        "override_at",
        "override_channels",
        "contract_channels",
        "profile",
    ):
        op.drop_column("tenant", column)
    with op.batch_alter_table("sip_account") as batch:
        batch.drop_index(batch.f("ix_sip_account_site_id"))
        batch.drop_constraint(batch.f("fk_sip_account_site_id_site"), type_="foreignkey")
        batch.drop_column("enabled")
        batch.drop_column("site_id")
    for column in ("state_by", "state_at", "state"):
        op.drop_column("site", column)
