"""The table of proposals made by staff corrections: a name for a department's dictionary or a
word to allow, pending until IT approves or rejects it. Rows are decided, never deleted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.kernel.db import Base


class RedactionProposal(Base):
    __tablename__ = "redaction_proposals"
    __table_args__ = (Index("ix_redaction_proposals_department_status", "department", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    department: Mapped[str] = mapped_column(String(100))
    user_email: Mapped[str] = mapped_column(String(320))
    kind: Mapped[str] = mapped_column(String(20))  # redaction.corrections.ProposalKind
    entity_type: Mapped[str] = mapped_column(String(40))
    term: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20))  # Status
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str | None] = mapped_column(String(320))
