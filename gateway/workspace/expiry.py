"""Saved conversations past their retention are deleted, and the deletion is audited.

Each conversation carries its own end (``expires_at``: the last turn plus its department's
``retention.days``, set by ``gateway.workspace.conversations.save_turn``). ``purge`` deletes
every ended one and records how many as a ``conversations.purged`` event; ``purge_every`` runs
it in each serving process, and ``kakehashi conversations purge`` runs it once (for cron).
Several replicas purging at once is harmless: a row is deleted once, and only the process that
deleted rows records them. No HTTP, and no conversation text is read here.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import anyio
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.kernel.events import AuditSink, EventIn
from gateway.kernel.vocab import EventType, Outcome
from gateway.workspace.models import Conversation

log = logging.getLogger(__name__)


async def purge(
    *,
    sessions: async_sessionmaker[AsyncSession],
    audit: AuditSink,
    now: datetime | None = None,
) -> int:
    """Delete the conversations whose retention ended by ``now``; audit the count (if any).
    Shielded: a deletion is never left unrecorded by a shutdown in between."""
    with anyio.CancelScope(shield=True):
        async with sessions.begin() as session:
            result = await session.execute(
                delete(Conversation).where(Conversation.expires_at <= (now or datetime.now(UTC)))
            )
        purged = int(getattr(result, "rowcount", 0) or 0)
        if purged:
            await audit(
                EventIn(
                    event_type=EventType.CONVERSATIONS_PURGED,
                    outcome=Outcome.OK,
                    detail={"conversations": purged},
                )
            )
    return purged


async def purge_every(
    *, sessions: async_sessionmaker[AsyncSession], audit: AuditSink, interval_s: float
) -> None:
    """``purge`` now and then every ``interval_s`` until cancelled; a failure is logged and
    retried at the next turn (the database may be briefly away)."""
    while True:
        try:
            await purge(sessions=sessions, audit=audit)
        except Exception:
            log.exception("saved conversations past retention could not be purged")
        await asyncio.sleep(interval_s)
