"""Shared task templates (issue 14): a department's (managers) or the company's (IT).

Revision ID: 0009_task_templates
Revises: 0008_budget_alerts
Create Date: 2026-12-03 06:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_task_templates"
down_revision: str | None = "0008_budget_alerts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "task_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("department", sa.String(length=100), nullable=True),
        sa.Column("use_case", sa.String(length=50), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_templates")),
    )
    with op.batch_alter_table("task_templates", schema=None) as batch_op:
        batch_op.create_index("ix_task_templates_department", ["department"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("task_templates", schema=None) as batch_op:
        batch_op.drop_index("ix_task_templates_department")
    op.drop_table("task_templates")
