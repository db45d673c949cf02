"""Indexes for the newest-first listings: a person's own history (/history) and IT's log
filtered by department (/admin/audit); each read most of 200-300k events without one.

Revision ID: 0004_history_index
Revises: 0003_feedback_checkpoints
Create Date: 2026-11-23 03:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004_history_index"
down_revision: str | None = "0003_feedback_checkpoints"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index("ix_audit_events_user_email_seq", ["user_email", "seq"], unique=False)
        batch_op.create_index("ix_audit_events_department_seq", ["department", "seq"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_department_seq")
        batch_op.drop_index("ix_audit_events_user_email_seq")
