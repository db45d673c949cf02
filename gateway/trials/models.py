"""The trial tables: one row per trial (its current stage and proposal) and one per step
(every submission, send-back, approval and decision, with the proposal as it was then).
Steps are appended, never updated or deleted: they are the trial's versioned history.

A department runs one trial at a time (its policy holds one trial section): the database
itself refuses a second approved trial of a department (``uq_trials_one_running``, a partial
unique index), so two approvals at the same instant, on any replicas, cannot both win."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from gateway.kernel.db import Base, UtcDateTime
from gateway.kernel.vocab import TrialStage

RUNNING = f"stage = '{TrialStage.APPROVED.value}'"  # the rows of ``uq_trials_one_running``


class TrialRow(Base):
    __tablename__ = "trials"
    __table_args__ = (
        Index("ix_trials_department_stage", "department", "stage"),
        Index(
            "uq_trials_one_running",
            "department",
            unique=True,
            sqlite_where=text(RUNNING),
            postgresql_where=text(RUNNING),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    department: Mapped[str] = mapped_column(String(100))
    stage: Mapped[str] = mapped_column(String(20))  # gateway.kernel.vocab.TrialStage
    version: Mapped[int] = mapped_column(Integer)  # steps so far
    proposal: Mapped[dict[str, Any]] = mapped_column(JSON)  # gateway.trials.proposal.Proposal
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    # Every UPDATE of a trial says ``WHERE version = <the version read>``: a step taken from a
    # version another step already replaced fails (``StaleDataError``) instead of overwriting
    # it (SQLite's reads take no row lock; ``gateway.trials.service.step`` sets the version).
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}  # noqa: RUF012


class TrialStep(Base):
    __tablename__ = "trial_steps"
    __table_args__ = (Index("ix_trial_steps_trial_id_version", "trial_id", "version", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    trial_id: Mapped[int] = mapped_column(ForeignKey("trials.id"))
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))  # gateway.kernel.vocab.TrialAction
    decision: Mapped[str | None] = mapped_column(String(20))  # TrialDecision, for a decision
    stage: Mapped[str] = mapped_column(String(20))  # the stage after this step
    actor: Mapped[str] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text)
    proposal: Mapped[dict[str, Any]] = mapped_column(JSON)
    policy_version: Mapped[str | None] = mapped_column(String(64))
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)  # the KPIs a decision was made on
    # A decision IT recorded for the decision-maker (their e-mail); None when they did it.
    on_behalf_of: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
