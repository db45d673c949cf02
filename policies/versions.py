"""The table of policy versions kept when policies live in the database
(``policies_source: database``): one row per change of one department's document (and its
customer list), never updated or deleted, so every version stays readable and revertible.

``_defaults`` is stored like a department. The department's current version is its row with
the highest ``number``. Queries here are plain reads and one insert; deciding what may be
saved is ``policies.edits``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from gateway.kernel.clock import utcnow
from gateway.kernel.db import Base, UtcDateTime
from policies.documents import Document


class PolicyVersion(Base):
    __tablename__ = "policy_versions"
    __table_args__ = (
        UniqueConstraint("department", "number", name="uq_policy_versions_department_number"),
        Index("ix_policy_versions_department", "department"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    department: Mapped[str] = mapped_column(String(100))
    number: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    author: Mapped[str] = mapped_column(String(320))
    reason: Mapped[str] = mapped_column(String(1000))
    document: Mapped[str] = mapped_column(Text)  # the department's YAML, as saved
    customers: Mapped[str | None] = mapped_column(Text)  # its customer list CSV (UTF-8)
    diff: Mapped[str] = mapped_column(Text)  # unified diff against the previous version
    reverted_from: Mapped[int | None] = mapped_column(Integer)  # the number restored


async def last_id(session: AsyncSession) -> int:
    """Changes anywhere: the highest row id (0 when empty). Cheap: the replicas poll it."""
    return int(await session.scalar(select(func.coalesce(func.max(PolicyVersion.id), 0))) or 0)


async def current(session: AsyncSession) -> list[PolicyVersion]:
    """Each department's latest row, by department name."""
    newest = (
        select(PolicyVersion.department, func.max(PolicyVersion.number).label("number"))
        .group_by(PolicyVersion.department)
        .subquery()
    )
    query = (
        select(PolicyVersion)
        .join(
            newest,
            (PolicyVersion.department == newest.c.department)
            & (PolicyVersion.number == newest.c.number),
        )
        .order_by(PolicyVersion.department)
    )
    return list((await session.scalars(query)).all())


async def history(session: AsyncSession, department: str, limit: int = 100) -> list[PolicyVersion]:
    query = (
        select(PolicyVersion)
        .where(PolicyVersion.department == department)
        .order_by(PolicyVersion.number.desc())
        .limit(limit)
    )
    return list((await session.scalars(query)).all())


async def one(session: AsyncSession, department: str, number: int) -> PolicyVersion | None:
    query = select(PolicyVersion).where(
        PolicyVersion.department == department, PolicyVersion.number == number
    )
    return (await session.scalars(query)).first()


def first(document: Document, *, author: str, reason: str) -> PolicyVersion:
    """Version 1 of a department (a seed or an import into an empty database)."""
    return PolicyVersion(
        department=document.department,
        number=1,
        created_at=utcnow(),
        author=author,
        reason=reason,
        document=document.text,
        customers=document.customers,
        diff="",
        reverted_from=None,
    )
