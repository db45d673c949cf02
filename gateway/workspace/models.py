"""The workspace's tables: saved conversations and shared task templates.

Saved conversations: everything a person wrote or read is sealed (AES-GCM under
a key of that person, ``gateway.workspace.sealing``): the title and the body (what left the
company, with placeholders, plus the placeholder mapping). Only ids, the owner and times are
readable in the database."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from gateway.kernel.db import Base, UtcDateTime


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_user_id_updated_at", "user_id", "updated_at"),
        Index("ix_conversations_expires_at", "expires_at"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[bytes] = mapped_column(LargeBinary)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    use_case: Mapped[str | None] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TaskTemplate(Base):
    """A task template a manager shared with their department (``department`` set) or IT
    published for the whole company (``department`` NULL). Not personal data: stored in clear,
    the fields and prompt as ``policies.templates.PromptTemplate`` JSON."""

    __tablename__ = "task_templates"
    __table_args__ = (Index("ix_task_templates_department", "department"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    department: Mapped[str | None] = mapped_column(String(100))
    use_case: Mapped[str] = mapped_column(String(50))
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
