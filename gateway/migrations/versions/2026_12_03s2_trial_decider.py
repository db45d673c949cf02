"""The trial's final decision-maker is a person (issue 16): ``trial_steps.on_behalf_of`` records
a decision IT entered for them; a free-text 最終判断者 of an earlier proposal becomes the person
who proposed the trial (their manager's e-mail), the only person it can safely name.

Revision ID: 20261203s2_trial_decider
Revises: 0011_people_scim_active
Create Date: 2026-12-03 09:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261203s2_trial_decider"
down_revision: str | None = "0011_people_scim_active"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_trials = sa.table(
    "trials",
    sa.column("id", sa.Integer()),
    sa.column("proposal", sa.JSON()),
    sa.column("created_by", sa.String()),
)
_steps = sa.table(
    "trial_steps",
    sa.column("id", sa.Integer()),
    sa.column("trial_id", sa.Integer()),
    sa.column("proposal", sa.JSON()),
)


def _person(proposal: dict[str, object], proposer: str) -> dict[str, object] | None:
    """The proposal with a person as decision-maker, or None when it names one already."""
    if "@" in str(proposal.get("decision_maker") or ""):
        return None
    return {**proposal, "decision_maker": proposer.strip().lower()}


def upgrade() -> None:
    with op.batch_alter_table("trial_steps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("on_behalf_of", sa.String(length=320), nullable=True))
    bind = op.get_bind()
    proposers: dict[int, str] = {}
    for trial_id, proposal, created_by in bind.execute(sa.select(_trials)).all():
        proposers[trial_id] = created_by
        fixed = _person(proposal, created_by)
        if fixed is not None:
            bind.execute(_trials.update().where(_trials.c.id == trial_id).values(proposal=fixed))
    for step_id, trial_id, proposal in bind.execute(sa.select(_steps)).all():
        fixed = _person(proposal, proposers[trial_id])
        if fixed is not None:
            bind.execute(_steps.update().where(_steps.c.id == step_id).values(proposal=fixed))


def downgrade() -> None:
    with op.batch_alter_table("trial_steps", schema=None) as batch_op:
        batch_op.drop_column("on_behalf_of")
