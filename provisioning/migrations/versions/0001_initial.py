"""initial inventory schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 10:37:05.952882
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer")),
        sa.UniqueConstraint("name", name=op.f("uq_customer_name")),
    )
    op.create_table(
        "number_range",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("start", sa.BigInteger(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("zone", sa.String(length=2), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_number_range")),
        sa.UniqueConstraint("start", name=op.f("uq_number_range_start")),
    )
    op.create_table(
        "obl_line",
        sa.Column("e164", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("ndi", sa.BigInteger(), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("line_type", sa.String(length=12), nullable=False),
        sa.Column("access_available", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("e164", name=op.f("pk_obl_line")),
    )
    with op.batch_alter_table("obl_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_obl_line_ndi"), ["ndi"], unique=False)

    op.create_table(
        "site",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("postcode", sa.String(length=5), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("departement", sa.String(length=3), nullable=False),
        sa.Column("profile", sa.String(length=40), nullable=False),
        sa.Column("service_start", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"], name=op.f("fk_site_customer_id_customer")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site")),
        sa.UniqueConstraint("name", name=op.f("uq_site_name")),
    )
    op.create_table(
        "tenant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("channel_limit", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_tenant_customer_id_customer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tenant")),
        sa.UniqueConstraint("domain", name=op.f("uq_tenant_domain")),
        sa.UniqueConstraint("name", name=op.f("uq_tenant_name")),
    )
    op.create_table(
        "equipment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("serial", sa.String(length=100), nullable=False),
        sa.Column("delivery_date", sa.Date(), nullable=False),
        sa.Column("warranty_end", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_equipment_site_id_site")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_equipment")),
        sa.UniqueConstraint("serial", name=op.f("uq_equipment_serial")),
    )
    with op.batch_alter_table("equipment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_equipment_site_id"), ["site_id"], unique=False)

    op.create_table(
        "mandate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("rio", sa.String(length=12), nullable=True),
        sa.Column("expires", sa.Date(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.Column("accepted_on", sa.Date(), nullable=True),
        sa.Column("port_date", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_mandate_site_id_site")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mandate")),
    )
    with op.batch_alter_table("mandate", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mandate_site_id"), ["site_id"], unique=False)

    op.create_table(
        "number_block",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("start", sa.BigInteger(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("zone", sa.String(length=2), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("emergency_address", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("allocated_at", sa.DateTime(), nullable=False),
        sa.Column("allocated_by", sa.String(length=100), nullable=False),
        sa.Column("released_at", sa.DateTime(), nullable=True),
        sa.Column("released_by", sa.String(length=100), nullable=True),
        sa.Column("quarantine_until", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["site_id"], ["site.id"], name=op.f("fk_number_block_site_id_site")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_number_block")),
    )
    with op.batch_alter_table("number_block", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_number_block_site_id"), ["site_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_number_block_start"), ["start"], unique=False)

    op.create_table(
        "sip_account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("ha1", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenant.id"], name=op.f("fk_sip_account_tenant_id_tenant")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sip_account")),
        sa.UniqueConstraint("tenant_id", "username", name="uq_sip_account_tenant_username"),
    )
    op.create_table(
        "mandate_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mandate_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("from_state", sa.String(length=12), nullable=True),
        sa.Column("to_state", sa.String(length=12), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["mandate_id"], ["mandate.id"], name=op.f("fk_mandate_event_mandate_id_mandate")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mandate_event")),
    )
    with op.batch_alter_table("mandate_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mandate_event_mandate_id"), ["mandate_id"], unique=False)

    op.create_table(
        "mandate_number",
        sa.Column("mandate_id", sa.Integer(), nullable=False),
        sa.Column("e164", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(
            ["mandate_id"], ["mandate.id"], name=op.f("fk_mandate_number_mandate_id_mandate")
        ),
        sa.PrimaryKeyConstraint("mandate_id", "e164", name=op.f("pk_mandate_number")),
    )
    op.create_table(
        "number",
        sa.Column("e164", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("range_id", sa.Integer(), nullable=False),
        sa.Column("zone", sa.String(length=2), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("block_id", sa.Integer(), nullable=True),
        sa.Column("quarantine_until", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["block_id"], ["number_block.id"], name=op.f("fk_number_block_id_number_block")
        ),
        sa.ForeignKeyConstraint(
            ["range_id"], ["number_range.id"], name=op.f("fk_number_range_id_number_range")
        ),
        sa.PrimaryKeyConstraint("e164", name=op.f("pk_number")),
    )
    with op.batch_alter_table("number", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_number_block_id"), ["block_id"], unique=False)
        batch_op.create_index("ix_number_state_zone_e164", ["state", "zone", "e164"], unique=False)
        batch_op.create_index(
            "ix_number_quarantine_until",
            ["quarantine_until"],
            unique=False,
            sqlite_where=sa.text("quarantine_until IS NOT NULL"),
            postgresql_where=sa.text("quarantine_until IS NOT NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("number", schema=None) as batch_op:
        batch_op.drop_index("ix_number_quarantine_until")
        batch_op.drop_index("ix_number_state_zone_e164")
        batch_op.drop_index(batch_op.f("ix_number_block_id"))

    op.drop_table("number")
    op.drop_table("mandate_number")
    with op.batch_alter_table("mandate_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mandate_event_mandate_id"))

    op.drop_table("mandate_event")
    op.drop_table("sip_account")
    with op.batch_alter_table("number_block", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_number_block_start"))
        batch_op.drop_index(batch_op.f("ix_number_block_site_id"))

    op.drop_table("number_block")
    with op.batch_alter_table("mandate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mandate_site_id"))

    op.drop_table("mandate")
    with op.batch_alter_table("equipment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_equipment_site_id"))

    op.drop_table("equipment")
    op.drop_table("tenant")
    op.drop_table("site")
    with op.batch_alter_table("obl_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_obl_line_ndi"))

    op.drop_table("obl_line")
    op.drop_table("number_range")
    op.drop_table("customer")
