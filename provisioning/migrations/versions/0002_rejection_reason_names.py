"""rejection reasons named as in contracts.choices: incomplete_list → non_exhaustive_list (000 §2.3)

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 08:40:00

Before 0002 the inventory wrote `incomplete_list` where the simulation wrote `non_exhaustive_list` for the
same ground (« la liste des numéros à porter n'est pas exhaustive »). The stored reason of a mandate and
the reason quoted in its audited events are renamed; nothing else changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

OLD, NEW = "incomplete_list", "non_exhaustive_list"


def _rename(old: str, new: str) -> None:
    op.execute(sa.text("UPDATE mandate SET reason = :new WHERE reason = :old").bindparams(old=old, new=new))
    # an event's detail is "reason: note" (a rejection) or "reason (why); reason (why)" (an OBL answer)
    op.execute(
        sa.text(
            "UPDATE mandate_event SET detail = REPLACE(detail, :old, :new) WHERE detail LIKE :pattern"
        ).bindparams(old=old, new=new, pattern=f"%{old}%")
    )


def upgrade() -> None:
    _rename(OLD, NEW)


def downgrade() -> None:
    _rename(NEW, OLD)
