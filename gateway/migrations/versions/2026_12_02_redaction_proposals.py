"""Proposals from staff corrections of a redaction (issue 13): a name for a department's
dictionary or a word to allow, pending until IT decides.

Revision ID: 0006_redaction_proposals
Revises: 0005_conversations
Create Date: 2026-12-02 20:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_redaction_proposals"
down_revision: str | None = "0005_conversations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "redaction_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("department", sa.String(length=100), nullable=False),
        sa.Column("user_email", sa.String(length=320), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("entity_type", sa.String(length=40), nullable=False),
        sa.Column("term", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=320), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_redaction_proposals")),
    )
    with op.batch_alter_table("redaction_proposals", schema=None) as batch_op:
        batch_op.create_index(
            "ix_redaction_proposals_department_status", ["department", "status"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("redaction_proposals", schema=None) as batch_op:
        batch_op.drop_index("ix_redaction_proposals_department_status")
    op.drop_table("redaction_proposals")
