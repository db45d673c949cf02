"""Appends events to the audit log with group commit.

Callers ``await writer.append(event)`` and return once the event is committed. A single task
per process drains the queue and commits everything waiting in one transaction, so audit costs
one commit per batch instead of one per request. Across processes and replicas the chain is
serialised by the ``UPDATE audit_chain_head ... RETURNING`` that opens each batch: it takes the
row (PostgreSQL) or database (SQLite) write lock before the previous hash is read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from audit.chain import EventIn, event_hash
from audit.models import AuditEvent

log = logging.getLogger(__name__)

_MAX_BATCH = 500


@dataclass
class _Pending:
    event: EventIn
    done: asyncio.Future[int]


async def append_batch(session: AsyncSession, events: list[EventIn]) -> list[int]:
    """Append ``events`` in order inside the caller's transaction; return their seq numbers."""
    row = (
        await session.execute(
            text("UPDATE audit_chain_head SET seq = seq + :n WHERE id = 1 RETURNING seq, hash"),
            {"n": len(events)},
        )
    ).one()
    last_seq, prev = int(row[0]), str(row[1])
    seq = last_seq - len(events)
    rows = []
    for event in events:
        seq += 1
        columns = event.columns()
        digest = event_hash(prev, seq, columns)
        rows.append({**columns, "seq": seq, "prev_hash": prev, "hash": digest})
        prev = digest
    await session.execute(insert(AuditEvent), rows)
    await session.execute(text("UPDATE audit_chain_head SET hash = :h WHERE id = 1"), {"h": prev})
    return [r["seq"] for r in rows]


class AuditWriter:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="audit-writer")

    async def stop(self) -> None:
        """Commit what is queued, then stop."""
        if self._task is None:
            return
        await self._queue.join()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def append(self, event: EventIn) -> int:
        """Queue ``event`` and wait until it is committed; returns its sequence number."""
        if self._task is None:  # CLIs and tests without a running writer
            async with self._sessions.begin() as session:
                return (await append_batch(session, [event]))[0]
        done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Pending(event, done))
        # Shielded: a client disconnect must not cancel the audit write of its own request.
        return await asyncio.shield(done)

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < _MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                async with self._sessions.begin() as session:
                    seqs = await append_batch(session, [p.event for p in batch])
                for pending, seq in zip(batch, seqs, strict=True):
                    if not pending.done.done():
                        pending.done.set_result(seq)
            except Exception as exc:  # the batch failed as a whole; tell every waiter
                log.exception("audit batch of %d events failed", len(batch))
                for pending in batch:
                    if not pending.done.done():
                        pending.done.set_exception(exc)
            finally:
                for _ in batch:
                    self._queue.task_done()
