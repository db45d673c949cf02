"""Audit tables: the append-only event log and the head of its hash chain.

Rows are only ever inserted by ``audit.writer``; no code path or migration updates or deletes
them (retention purges through ``audit.retention`` with a signed checkpoint).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from gateway.kernel.db import Base, UtcDateTime

GENESIS_HASH = "0" * 64


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_created_at", "created_at"),
        Index("ix_audit_events_department_created_at", "department", "created_at"),
        Index("ix_audit_events_event_type_created_at", "event_type", "created_at"),
        Index("ix_audit_events_request_id", "request_id"),
        Index("ix_audit_events_user_email_seq", "user_email", "seq"),  # a person's history
        Index("ix_audit_events_department_seq", "department", "seq"),  # IT's filtered log
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    event_type: Mapped[str] = mapped_column(String(50))
    outcome: Mapped[str] = mapped_column(String(30))
    status_code: Mapped[int] = mapped_column(Integer, default=200)
    error_code: Mapped[str | None] = mapped_column(String(50))
    request_id: Mapped[str | None] = mapped_column(String(64))
    user_email: Mapped[str | None] = mapped_column(String(320))
    department: Mapped[str | None] = mapped_column(String(100))
    role: Mapped[str | None] = mapped_column(String(20))
    model: Mapped[str | None] = mapped_column(String(100))
    use_case: Mapped[str | None] = mapped_column(String(50))
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_jpy: Mapped[float] = mapped_column(Float, default=0.0)
    latency_ms: Mapped[int] = mapped_column(Integer, default=0)
    redactions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    policy_version: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditChainHead(Base):
    """One row (id=1): the last sequence number and hash, locked by each append."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(Base):
    """Written by a retention purge: the chain's state just after the last purged event.

    ``verify`` starts from the newest checkpoint instead of the genesis hash. The HMAC
    (keyed from the deployment secret) stops someone with database access from deleting events
    and writing a checkpoint of their own to cover the gap.
    """

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    through_seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    through_hash: Mapped[str] = mapped_column(String(64))
    purged_events: Mapped[int] = mapped_column(BigInteger)
    cutoff: Mapped[datetime] = mapped_column(UtcDateTime())
    signature: Mapped[str] = mapped_column(String(64))


class Feedback(Base):
    """A staff member's rating of one answer (their own requests only), one row per request.

    ``rating`` is 1-5; a good/bad vote is stored as ``helpful``. ``minutes_saved`` is what the
    user reports, which the KPIs prefer over the use case's estimate.
    """

    __tablename__ = "feedback"
    __table_args__ = (Index("ix_feedback_department_created_at", "department", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[str] = mapped_column(String(64), unique=True)
    user_email: Mapped[str] = mapped_column(String(320))
    department: Mapped[str] = mapped_column(String(100))
    use_case: Mapped[str | None] = mapped_column(String(50))
    rating: Mapped[int | None] = mapped_column(Integer)
    helpful: Mapped[bool | None] = mapped_column(Boolean)
    reason: Mapped[str | None] = mapped_column(Text)
    minutes_saved: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class BudgetAlert(Base):
    """An alert threshold a department crossed in a period, claimed once (the unique key) by
    the replica that notifies IT; the notification itself is a ``budget.alert`` audit event."""

    __tablename__ = "budget_alerts"
    __table_args__ = (
        UniqueConstraint("department", "period", "unit", "threshold", name="uq_budget_alerts_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department: Mapped[str] = mapped_column(String(100))
    period: Mapped[str] = mapped_column(String(10))  # 2026-12
    unit: Mapped[str] = mapped_column(String(10))  # tokens | yen
    threshold: Mapped[int] = mapped_column(Integer)  # percent of the monthly limit
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
