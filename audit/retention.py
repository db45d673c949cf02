"""Retention: delete audit events past their department's retention, keeping the chain
verifiable.

The chain is one sequence for the whole company, so only a *prefix* can go: the purge walks
from the oldest event and stops at the first one still inside its own department's retention
(events without a department use the longest retention of any policy). The hash of the last
deleted event becomes a checkpoint, HMAC-signed with a key derived from the deployment secret
and written in the same transaction as the delete, and ``audit.verify`` starts from it. The
purge itself is recorded as an ``audit.purged`` event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from audit.chain import EventIn
from audit.models import AuditCheckpoint, AuditEvent
from audit.verify import sign_checkpoint
from audit.writer import append_batch
from gateway.kernel.vocab import EventType, Outcome

_BATCH = 2000


@dataclass(frozen=True)
class Purge:
    events: int  # deleted (or, in a dry run, that would be)
    through_seq: int | None
    oldest_kept: datetime | None
    dry_run: bool


async def _expired_prefix(
    session: AsyncSession, start: int, now: datetime, days_for: Callable[[str | None], int]
) -> tuple[int, str | None, int, datetime | None]:
    """(last expired seq, its hash, how many, created_at of the first kept event)."""
    last_seq, last_hash, count, seq = start, None, 0, start
    while True:
        rows = (
            await session.execute(
                select(
                    AuditEvent.seq, AuditEvent.hash, AuditEvent.created_at, AuditEvent.department
                )
                .where(AuditEvent.seq > seq)
                .order_by(AuditEvent.seq)
                .limit(_BATCH)
            )
        ).all()
        if not rows:
            return last_seq, last_hash, count, None
        for row in rows:
            if row.created_at >= now - timedelta(days=days_for(row.department)):
                return last_seq, last_hash, count, row.created_at
            last_seq, last_hash, count = row.seq, row.hash, count + 1
        seq = rows[-1].seq


async def purge(
    *,
    session: AsyncSession,
    days_for: Callable[[str | None], int],
    key: bytes,
    now: datetime | None = None,
    dry_run: bool = False,
) -> Purge:
    """Delete the expired prefix inside the caller's transaction. ``days_for(department)``
    is the retention in days (``None``: events with no department)."""
    now = now or datetime.now(UTC)
    newest = select(func.max(AuditCheckpoint.through_seq))
    latest = (await session.execute(newest)).scalar_one_or_none() or 0
    through, through_hash, count, oldest_kept = await _expired_prefix(
        session, latest, now, days_for
    )
    if count == 0 or through_hash is None or dry_run:
        return Purge(count, through if count else None, oldest_kept, dry_run)
    total = count
    await session.execute(delete(AuditEvent).where(AuditEvent.seq <= through))
    cutoff = now.replace(microsecond=0)
    session.add(
        AuditCheckpoint(
            created_at=now,
            through_seq=through,
            through_hash=through_hash,
            purged_events=total,
            cutoff=cutoff,
            signature=sign_checkpoint(
                key,
                through_seq=through,
                through_hash=through_hash,
                purged_events=total,
                cutoff=cutoff,
            ),
        )
    )
    await session.flush()
    await append_batch(
        session,
        [
            EventIn(
                event_type=EventType.AUDIT_PURGED,
                outcome=Outcome.OK,
                detail={"through_seq": through, "events": total},
            )
        ],
    )
    return Purge(total, through, oldest_kept, dry_run=False)
