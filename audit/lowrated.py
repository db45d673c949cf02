"""What did not work: answers their owners rated down (1-2 or 👎), with the reason they gave,
for a trial's monthly review. Read-only over ``feedback``; newest first, a bounded number."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from audit.models import Feedback


@dataclass(frozen=True)
class LowRating:
    created_at: datetime
    use_case: str
    rating: int | None
    reason: str


async def low_ratings(
    *,
    sessions: async_sessionmaker[AsyncSession],
    department: str,
    start: date,
    end: date,
    tz: ZoneInfo,
    limit: int = 20,
) -> list[LowRating]:
    """Rated-down answers of ``department`` in ``[start, end]`` (local dates)."""
    lo = datetime.combine(start, time(), tz).astimezone(UTC)
    hi = datetime.combine(end, time.max, tz).astimezone(UTC)
    query = (
        select(Feedback.created_at, Feedback.use_case, Feedback.rating, Feedback.reason)
        .where(
            Feedback.department == department,
            Feedback.created_at >= lo,
            Feedback.created_at <= hi,
            or_(Feedback.rating <= 2, Feedback.helpful == false()),
        )
        .order_by(Feedback.created_at.desc())
        .limit(limit)
    )
    async with sessions() as session:
        rows = (await session.execute(query)).all()
    return [LowRating(r[0], r[1] or "", r[2], r[3] or "") for r in rows]
