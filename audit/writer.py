"""Appends events to the audit log with group commit.

Callers ``await writer.append(event)`` and return once the event is queued (by default) or
committed (``wait_for_commit``; see ``AuditWriter`` for the tradeoff). A single task per process
drains the queue and commits everything waiting in one transaction, so audit costs one commit
per batch instead of one per request. Across processes and replicas the chain is
serialised by the ``UPDATE audit_chain_head ... RETURNING`` that opens each batch: it takes the
row (PostgreSQL) or database (SQLite) write lock before the previous hash is read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from audit.chain import EventIn, event_hash
from audit.intents import Intent, Intents
from audit.models import AuditEvent
from gateway.kernel.errors import not_sent

log = logging.getLogger(__name__)

_MAX_BATCH = 500
_RETRY_S = 1.0  # pause before retrying a failed batch
# When nobody waits for the commit, gather events this long before committing: one commit (and
# one thread hop) per few requests instead of per request at low concurrency; less CPU beside
# the requests in flight (bench/overhead). Widens the crash window by as much.
_LINGER_S = 0.01
_STOP_TIMEOUT_S = 10.0


@dataclass
class _Pending:
    event: EventIn
    done: asyncio.Future[int] | None  # None: nobody waits for this commit


_TAKE = text("UPDATE audit_chain_head SET seq = seq + :n WHERE id = 1 RETURNING seq, hash")
_HEAD = text("UPDATE audit_chain_head SET hash = :h WHERE id = 1")


def _chain(events: list[EventIn], last_seq: int, prev: str) -> tuple[list[dict[str, Any]], str]:
    """Rows for ``events`` numbered up to ``last_seq``, chained from ``prev``; and the new head."""
    seq = last_seq - len(events)
    rows = []
    for event in events:
        seq += 1
        columns = event.columns()
        digest = event_hash(prev, seq, columns)
        rows.append({**columns, "seq": seq, "prev_hash": prev, "hash": digest})
        prev = digest
    return rows, prev


async def append_batch(session: AsyncSession, events: list[EventIn]) -> list[int]:
    """Append ``events`` in order inside the caller's transaction; return their seq numbers."""
    row = (await session.execute(_TAKE, {"n": len(events)})).one()
    rows, head = _chain(events, int(row[0]), str(row[1]))
    await session.execute(insert(AuditEvent), rows)
    await session.execute(_HEAD, {"h": head})
    return [r["seq"] for r in rows]


class DirectAppender:
    """``append_batch`` for the SQLite writer thread through the DB-API connection itself: the
    statements are compiled once and each value goes through its column type's own bind
    processor, so the stored rows are exactly SQLAlchemy Core's (tests compare them) at about a
    third of the CPU per batch, which at concurrency 1 ran beside the next request and held
    the GIL from it (bench/overhead/profile.py, docs/benchmarks.md "Fourth session — c1").
    ``append_batch`` stays the reference (PostgreSQL, the CLIs)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        dialect = engine.dialect
        columns = [c for c in AuditEvent.__table__.c if c.name != "id"]
        keys = [c.name for c in columns]
        compiled = insert(AuditEvent).compile(dialect=dialect, column_keys=keys)
        self._insert = str(compiled)
        order = list(compiled.positiontup or ())
        types = {c.name: c.type for c in columns}
        self._binds = [
            (name, types[name].dialect_impl(dialect).bind_processor(dialect)) for name in order
        ]
        self._take = str(_TAKE.bindparams(n=0).compile(dialect=dialect))
        self._head = str(_HEAD.bindparams(h="").compile(dialect=dialect))

    def __call__(self, events: list[EventIn]) -> list[int]:
        connection = self._engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(self._take, (len(events),))
            taken = cursor.fetchone()
            if taken is None:  # as Core's ``.one()``: the batch fails and is retried
                raise LookupError("audit_chain_head has no row 1")
            rows, head = _chain(events, int(taken[0]), str(taken[1]))
            binds = self._binds
            cursor.executemany(
                self._insert,
                [tuple(r[k] if p is None else p(r[k]) for k, p in binds) for r in rows],
            )
            cursor.execute(self._head, (head,))
            connection.commit()
        except BaseException:
            connection.rollback()
            raise
        finally:
            connection.close()  # back to the pool
        return [r["seq"] for r in rows]


class AuditWriter:
    """The per-process audit writer.

    ``wait_for_commit``: callers return once their event is committed (the strict promise), or,
    by default, once it is queued; the queue is committed within about ten milliseconds
    (``_LINGER_S``, to batch) and drained on shutdown, so only a crash of the process itself
    (SIGKILL, power loss) can lose the last few milliseconds of events. While the database
    refuses writes, ``failing`` is true: queued events are retried every second until they
    commit, and the pipeline refuses new chat requests until a batch commits again (fail
    closed: nothing is sent that could not be audited).

    ``sync_engine`` (SQLite): each batch is committed on one dedicated thread through a plain
    sqlite3 connection (``DirectAppender``): one thread hop per batch instead of one per
    statement through aiosqlite (the largest share of the gateway's own CPU in bench/overhead).
    PostgreSQL stays async.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        sync_engine: Engine | None = None,
        wait_for_commit: bool = False,
        intents: Intents | None = None,
        replay_attached: Callable[[list[dict[str, Any]]], Awaitable[None]] | None = None,
        recover_s: float = 60.0,
    ) -> None:
        """``replay_attached``: called with what the pipeline attached to intents replayed from
        a dead process's spool (their quota settles), before their events are committed.
        ``recover_s``: how often spools left by dead processes are looked for."""
        self._recover_s = recover_s
        self._sessions = sessions
        self.intents = intents
        self._replay_attached = replay_attached
        self._sync = sync_engine
        self._direct = DirectAppender(sync_engine) if sync_engine is not None else None
        self._wait = wait_for_commit
        self._thread = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="audit-writer")
            if sync_engine is not None
            else None
        )
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._retry: list[_Pending] = []  # events of a failed batch nobody waited for
        self._in_flight: list[_Pending] = []  # the batch being committed
        self._recovery: asyncio.Task[None] | None = None
        self._busy = False
        self.failing = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="audit-writer")
        if self.intents is not None:
            self._recovery = asyncio.create_task(self._recover_forever(), name="audit-recovery")

    async def intend(
        self, event: EventIn, attached: dict[str, Any] | None = None, *, alone: bool = False
    ) -> None:
        """Make ``event`` (and ``attached``) durable before its request is sent (see
        ``audit.intents``; ``alone``: no other request is in flight in this process); a full
        or read-only disk refuses the request (nothing is sent unrecorded)."""
        if self.intents is None:
            return
        try:
            await self.intents.put(event, attached, alone=alone)
        except OSError as exc:
            raise not_sent("監査ログの控えを書けない", "The audit spool cannot be written") from exc

    def idle(self) -> bool:
        """Nothing queued or being committed (tests read the log after this)."""
        return self._queue.empty() and not self._retry and not self._busy

    async def stop(self) -> None:
        """Commit what is queued, then stop."""
        if self._task is None:
            return
        try:
            await asyncio.wait_for(self._queue.join(), timeout=_STOP_TIMEOUT_S)
        except TimeoutError:
            left = self._retry + self._in_flight + _drain(self._queue)
            log.error("audit writer stopped with %d events not committed", len(left))
            if self.intents is not None:  # replayed by the next process to start
                await self.intents.keep([p.event for p in left])
                log.error("those %d events are kept in %s", len(left), self.intents.directory)
        for task in (self._task, self._recovery):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._task = self._recovery = None
        if self.intents is not None:
            await self.intents.close()
        if self._thread is not None:
            self._thread.shutdown(wait=True)
        if self._sync is not None:
            self._sync.dispose()

    async def _commit(self, events: list[EventIn]) -> list[int]:
        if self._direct is not None and self._thread is not None:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._thread, self._direct, events)
        async with self._sessions.begin() as session:
            return await append_batch(session, events)

    async def append(self, event: EventIn) -> None:
        """Queue ``event``; wait for its commit when configured to."""
        if self._task is None:  # CLIs and tests without a running writer
            async with self._sessions.begin() as session:
                await append_batch(session, [event])
            return
        if not self._wait:
            self._queue.put_nowait(_Pending(event, None))
            return
        done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Pending(event, done))
        # Shielded: a client disconnect must not cancel the audit write of its own request.
        await asyncio.shield(done)

    async def _next_batch(self) -> list[_Pending]:
        if self._retry:
            await asyncio.sleep(_RETRY_S)
            batch, self._retry = self._retry, []
        else:
            batch = [await self._queue.get()]
        self._busy = True  # idle() must not report the events held here as committed
        if batch[0].done is None and self._queue.qsize() < _MAX_BATCH:
            await asyncio.sleep(_LINGER_S)
        while len(batch) < _MAX_BATCH and not self._queue.empty():
            batch.append(self._queue.get_nowait())
        return batch

    async def _run(self) -> None:
        while True:
            batch = self._in_flight = await self._next_batch()
            self._busy = True
            try:
                seqs = await self._commit([p.event for p in batch])
            except Exception as exc:  # the batch failed as a whole
                self.failing = True
                log.exception("audit batch of %d events failed; retrying", len(batch))
                await self._keep([p.event for p in batch])
                for pending in batch:
                    if pending.done is None:
                        self._retry.append(pending)  # kept (unfinished) until it commits
                    else:
                        if not pending.done.done():
                            pending.done.set_exception(exc)
                        self._queue.task_done()
            else:
                self.failing = False
                await self._forget([p.event for p in batch])
                for pending, seq in zip(batch, seqs, strict=True):
                    if pending.done is not None and not pending.done.done():
                        pending.done.set_result(seq)
                    self._queue.task_done()
            finally:
                self._busy = False
                self._in_flight = []

    async def _keep(self, events: list[EventIn]) -> None:
        """The final versions of events the database refused, over their intents on disk."""
        if self.intents is not None:
            try:
                await self.intents.keep(events)
            except Exception:
                log.exception("audit spool: could not keep %d refused events", len(events))

    async def _forget(self, events: list[EventIn]) -> None:
        if self.intents is not None:
            try:
                await self.intents.forget(events)
            except Exception:  # a leftover intent is skipped at replay (already committed)
                log.exception("audit spool: could not drop %d committed intents", len(events))

    async def recover(self) -> int:
        """Replay the spools of dead processes into the database; the number of events added
        (events already there, same request id and type, are skipped)."""
        if self.intents is None:
            return 0
        added = 0
        for spool in await self.intents.adopt():
            replayed = False
            try:
                intents = await self.intents.records(spool)
                events = [i.event for i in intents]
                fresh = await self._missing(events)
                # Before the commit: a crash in between replays them again, and the quota
                # store charges each hold once, whereas after it they would never be replayed.
                await self._attached(intents, fresh)
                if fresh:
                    await self._commit(fresh)
                replayed = True
                added += len(fresh)
                log.warning(
                    "audit: replayed %d events from %s (%d were already committed)",
                    len(fresh),
                    spool.path.name,
                    len(events) - len(fresh),
                )
            finally:
                await self.intents.finish(spool, replayed=replayed)
        return added

    async def _attached(self, intents: list[Intent], fresh: list[EventIn]) -> None:
        keys = {(e.request_id, e.event_type) for e in fresh}
        attached = [
            i.attached
            for i in intents
            if i.attached is not None and (i.event.request_id, i.event.event_type) in keys
        ]
        if attached and self._replay_attached is not None:
            await self._replay_attached(attached)

    async def _missing(self, events: list[EventIn]) -> list[EventIn]:
        ids = sorted({e.request_id for e in events if e.request_id})
        present: set[tuple[str, str]] = set()
        table = AuditEvent.__table__
        async with self._sessions() as session:
            for start in range(0, len(ids), 500):
                query = select(table.c.request_id, table.c.event_type).where(
                    table.c.request_id.in_(ids[start : start + 500])
                )
                present.update((r, t) for r, t in (await session.execute(query)).all())
        missing = [e for e in events if (e.request_id, e.event_type) not in present]
        return sorted(missing, key=lambda e: e.created_at)

    async def _recover_forever(self) -> None:
        while True:
            try:
                await self.recover()
            except Exception:  # the database is down: the spools wait for the next round
                log.exception("audit: replaying spools of stopped processes failed; retrying")
            await asyncio.sleep(self._recover_s)


def _drain(queue: asyncio.Queue[_Pending]) -> list[_Pending]:
    items = []
    while not queue.empty():
        items.append(queue.get_nowait())
    return items
