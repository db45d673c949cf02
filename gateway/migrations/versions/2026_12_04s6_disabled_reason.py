"""People: why IT disabled a person, kept with who and when so the people page can show it
(the audit event has it too, but is written after the page is drawn and is not the
person's state).

Revision ID: 20261204s6_disabled_reason
Revises: 20261203s4_trial_one_running
Create Date: 2026-12-04 16:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261204s6_disabled_reason"
down_revision: str | None = "20261203s4_trial_one_running"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("disabled_reason", sa.String(500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("disabled_reason")
