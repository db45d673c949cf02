"""A department runs one trial at a time, enforced by the database: a partial unique index on
``trials.department`` over the approved (running) rows, so two approvals at the same instant
cannot both commit (the check in ``gateway.trials.policy_doc`` alone raced).

A database in which that race already left two running trials of one department is not changed
here: the upgrade stops and names them (record the stop of one, then upgrade again).

Revision ID: 20261203s4_trial_one_running
Revises: 20261203s2_trial_decider
Create Date: 2026-12-03 14:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261203s4_trial_one_running"
down_revision: str | None = "20261203s2_trial_decider"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RUNNING = "stage = 'approved'"


def upgrade() -> None:
    twice = op.get_bind().execute(
        sa.text(
            "SELECT department, COUNT(*) FROM trials WHERE stage = 'approved' "
            "GROUP BY department HAVING COUNT(*) > 1"
        )
    )
    found = [f"{department} ({count})" for department, count in twice]
    if found:
        raise RuntimeError(
            "実施中のトライアルが 2 つ以上ある部署があります: " + ", ".join(found) + "。"
            "1 つを残して中止を記録してから、もう一度アップグレードしてください。 / "
            "Departments with more than one running trial: " + ", ".join(found) + "; record "
            "the stop of all but one, then upgrade again."
        )
    with op.batch_alter_table("trials", schema=None) as batch_op:
        batch_op.create_index(
            "uq_trials_one_running",
            ["department"],
            unique=True,
            sqlite_where=sa.text(_RUNNING),
            postgresql_where=sa.text(_RUNNING),
        )


def downgrade() -> None:
    with op.batch_alter_table("trials", schema=None) as batch_op:
        batch_op.drop_index("uq_trials_one_running")
