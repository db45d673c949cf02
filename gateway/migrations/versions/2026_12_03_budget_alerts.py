"""Budget alert claims (issue 15): one row per department, month, unit and threshold, so each
alert reaches IT once however many replicas check.

Revision ID: 0008_budget_alerts
Revises: 0007_policy_versions
Create Date: 2026-12-03 06:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_budget_alerts"
down_revision: str | None = "0007_policy_versions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "budget_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("department", sa.String(length=100), nullable=False),
        sa.Column("period", sa.String(length=10), nullable=False),
        sa.Column("unit", sa.String(length=10), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budget_alerts")),
        sa.UniqueConstraint(
            "department", "period", "unit", "threshold", name="uq_budget_alerts_key"
        ),
    )


def downgrade() -> None:
    op.drop_table("budget_alerts")
