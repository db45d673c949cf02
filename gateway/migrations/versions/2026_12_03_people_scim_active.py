"""People (issue 15): SCIM ``active`` kept as the IdP set it, so that a removed attribute reads
back as absent (RFC 7644 §3.5.2.2) while the person stays enabled.

Revision ID: 0011_people_scim_active
Revises: 0010_people
Create Date: 2026-12-03 07:25:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_people_scim_active"
down_revision: str | None = "0010_people"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("scim_active", sa.Boolean(), server_default=sa.true(), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("scim_active")
