"""the fleet model: site states, accounts' sites and enabled flag, tenants' contract basis and overrides,
ported ranges and blocks

Revision ID: 0003
Revises: 0001
Create Date: 2026-12-01 08:50:00

Existing rows are given their meaning under the new rules, so `centrex db check` still holds:
- a site with a service-start date is `in_service`, one without is `ordered`;
- every account is enabled and on no site (accounts typed by hand name none);
- every tenant's channel limit was typed by hand (`--channels N`): it is recorded as an override by
  "migration 0003", so the limit is kept as it is;
- every range is the operator's own and no block is ported.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("site") as batch:
        batch.add_column(sa.Column("state", sa.String(length=12), nullable=True))
        batch.add_column(sa.Column("state_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("state_by", sa.String(length=100), nullable=True))
    op.execute("UPDATE site SET state = CASE WHEN service_start IS NULL THEN 'ordered' ELSE 'in_service' END")
    with op.batch_alter_table("site") as batch:
        batch.alter_column("state", existing_type=sa.String(length=12), nullable=False)

    with op.batch_alter_table("sip_account") as batch:
        batch.add_column(sa.Column("site_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("enabled", sa.Boolean(), nullable=True))
        batch.create_foreign_key(batch.f("fk_sip_account_site_id_site"), "site", ["site_id"], ["id"])
        batch.create_index(batch.f("ix_sip_account_site_id"), ["site_id"], unique=False)
    op.execute(sa.text("UPDATE sip_account SET enabled = :yes").bindparams(yes=True))
    with op.batch_alter_table("sip_account") as batch:
        batch.alter_column("enabled", existing_type=sa.Boolean(), nullable=False)

    with op.batch_alter_table("tenant") as batch:
        batch.add_column(sa.Column("profile", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("contract_channels", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("override_channels", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("override_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("override_by", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("override_reason", sa.Text(), nullable=True))
    op.execute(
        sa.text(
            "UPDATE tenant SET override_channels = channel_limit, override_at = :at,"
            " override_by = 'migration 0003', override_reason = :why"
        ).bindparams(
            at=datetime.now(UTC).replace(tzinfo=None),
            why="channel limit typed by hand (--channels) before the contract basis was recorded",
        )
    )

    with op.batch_alter_table("number_range") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("donor", sa.String(length=100), nullable=True))
        batch.create_unique_constraint("uq_number_range_donor_zone", ["donor", "zone"])
    op.execute("UPDATE number_range SET kind = 'operator'")
    with op.batch_alter_table("number_range") as batch:
        batch.alter_column("kind", existing_type=sa.String(length=10), nullable=False)

    with op.batch_alter_table("number_block") as batch:
        batch.add_column(sa.Column("ported", sa.Boolean(), nullable=True))
    op.execute(sa.text("UPDATE number_block SET ported = :no").bindparams(no=False))
    with op.batch_alter_table("number_block") as batch:
        batch.alter_column("ported", existing_type=sa.Boolean(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("number_block") as batch:
        batch.drop_column("ported")
    with op.batch_alter_table("number_range") as batch:
        batch.drop_constraint("uq_number_range_donor_zone", type_="unique")
        batch.drop_column("donor")
        batch.drop_column("kind")
    with op.batch_alter_table("tenant") as batch:
        for column in (
            "override_reason",
            "override_by",
            "override_at",
            "override_channels",
            "contract_channels",
            "profile",
        ):
            batch.drop_column(column)
    with op.batch_alter_table("sip_account") as batch:
        batch.drop_index(batch.f("ix_sip_account_site_id"))
        batch.drop_constraint(batch.f("fk_sip_account_site_id_site"), type_="foreignkey")
        batch.drop_column("enabled")
        batch.drop_column("site_id")
    with op.batch_alter_table("site") as batch:
        batch.drop_column("state_by")
        batch.drop_column("state_at")
        batch.drop_column("state")
