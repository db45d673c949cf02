"""Feedback on answers: staff rate their own answers and may report the minutes they saved.

One row per request; posting again updates it (people change their mind after editing the
draft). Only the person who made a request may rate it, and only a request that produced an
answer. Callers cannot tell someone else's request id from an unknown one, so ids cannot be
probed. The KPIs (``audit.kpi``) read this table; nothing here touches HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from audit.chain import EventIn
from audit.models import AuditEvent, Feedback
from gateway.kernel.vocab import EventType, Outcome


@dataclass(frozen=True)
class Rating:
    """What the user said. At least one of ``rating`` (1-5) and ``helpful`` is set."""

    rating: int | None = None
    helpful: bool | None = None
    reason: str | None = None
    minutes_saved: float | None = None


@dataclass(frozen=True)
class FeedbackOut:
    request_id: str
    use_case: str | None
    rating: int | None
    helpful: bool | None
    reason: str | None
    minutes_saved: float | None
    created_at: datetime
    updated_at: datetime


def _out(row: Feedback) -> FeedbackOut:
    return FeedbackOut(
        request_id=row.request_id,
        use_case=row.use_case,
        rating=row.rating,
        helpful=row.helpful,
        reason=row.reason,
        minutes_saved=row.minutes_saved,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


async def _own_answer(session: AsyncSession, request_id: str, user_email: str) -> AuditEvent | None:
    query = select(AuditEvent).where(
        AuditEvent.request_id == request_id,
        AuditEvent.event_type == EventType.CHAT_COMPLETION,
        AuditEvent.outcome == Outcome.OK,
        AuditEvent.user_email == user_email,
    )
    return (await session.execute(query.limit(1))).scalar_one_or_none()


async def record(
    *, session: AsyncSession, request_id: str, user_email: str, rating: Rating
) -> FeedbackOut | None:
    """Store (or replace) ``user_email``'s rating of their answer ``request_id``.

    ``None`` when that request is not one of the user's answered requests.
    """
    event = await _own_answer(session, request_id, user_email)
    if event is None:
        return None
    now = datetime.now(UTC)
    said = {
        "rating": rating.rating,
        "helpful": rating.helpful,
        "reason": rating.reason,
        "minutes_saved": rating.minutes_saved,
        "updated_at": now,
    }
    # One statement, not select-then-insert: a double click sends two first posts at once,
    # and the loser of that race would hit the unique request_id (500) instead of updating.
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    upsert = insert(Feedback).values(
        request_id=request_id,
        user_email=user_email,
        department=event.department or "",
        use_case=event.use_case,
        created_at=now,
        **said,
    )
    await session.execute(
        upsert.on_conflict_do_update(index_elements=[Feedback.request_id], set_=said)
    )
    query = select(Feedback).where(Feedback.request_id == request_id)
    row = (await session.execute(query.execution_options(populate_existing=True))).scalar_one()
    return _out(row)


async def get(*, session: AsyncSession, request_id: str, user_email: str) -> FeedbackOut | None:
    query = select(Feedback).where(
        Feedback.request_id == request_id, Feedback.user_email == user_email
    )
    row = (await session.execute(query)).scalar_one_or_none()
    return None if row is None else _out(row)


async def copied(*, session: AsyncSession, request_id: str, user_email: str) -> EventIn | None:
    """The audit event recording that ``user_email`` copied their answer ``request_id`` (the
    caller appends it); ``None`` when that is not one of the user's answers."""
    event = await _own_answer(session, request_id, user_email)
    if event is None:
        return None
    return EventIn(
        event_type=EventType.ANSWER_COPIED,
        outcome=Outcome.OK,
        request_id=request_id,
        user_email=user_email,
        department=event.department,
        role=event.role,
        model=event.model,
        use_case=event.use_case,
    )
