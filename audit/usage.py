"""Each person's use of the gateway over a period, from the audit log: the figures of the people
page (``gateway.identity.people``) and of its CSV, aggregated in the database.

Counts answered and refused chat requests alike (a refusal is use that was asked for); tokens and
yen are what was settled. Knows nothing about users or keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from audit.models import AuditEvent
from gateway.kernel.vocab import EventType

_E = AuditEvent.__table__.c


@dataclass(frozen=True)
class Usage:
    requests: int = 0
    tokens: int = 0
    cost_jpy: float = 0.0
    last_at: datetime | None = None


async def usage_by_person(*, session: AsyncSession, since: datetime) -> dict[str, Usage]:
    """``user_email`` -> use since ``since`` (an aware UTC time: the start of the local month)."""
    query = (
        select(
            _E.user_email,
            func.count(),
            func.coalesce(func.sum(_E.prompt_tokens + _E.completion_tokens), 0),
            func.coalesce(func.sum(_E.cost_jpy), 0.0),
            func.max(_E.created_at),
        )
        .where(_E.event_type == EventType.CHAT_COMPLETION, _E.created_at >= since)
        .where(_E.user_email.is_not(None))
        .group_by(_E.user_email)
    )
    rows = (await session.execute(query)).all()
    return {
        str(email): Usage(int(n), int(tokens), round(float(cost), 2), last)
        for email, n, tokens, cost, last in rows
    }
