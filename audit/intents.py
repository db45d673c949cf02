"""Audit events made durable on local disk before a request is sent to a provider.

The pipeline calls ``Intents.put`` with the request's event as it stands just before the
provider call (outcome ``error``, code ``interrupted``); it returns once the event is fsync'd
in this process's spool (``gateway.kernel.spool``). Intents arriving together share one commit (one
fsync), like the database writer's group commit. The writer removes an intent once the
request's final event is committed, and writes the final event over it when the database
refuses it or the process stops before it could commit. A process killed mid-request leaves
its spool behind; the next writer to start (or any live one, every minute) replays it into
the database, skipping events already there (same request id and type), so every request
that reached a provider has exactly one event.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

from audit.chain import EventIn
from gateway.kernel.spool import Spool

KIND = "audit"
_ATTACHED = "_attached"  # the caller's own record, kept with the intent (not an event column)


def as_record(event: EventIn, attached: dict[str, Any] | None = None) -> dict[str, Any]:
    record = event.columns() | {"created_at": event.created_at.isoformat()}
    return record if attached is None else record | {_ATTACHED: attached}


def as_event(record: dict[str, Any]) -> EventIn:
    fields = {k: v for k, v in record.items() if k != _ATTACHED}
    return EventIn(**(fields | {"created_at": datetime.fromisoformat(record["created_at"])}))


@dataclasses.dataclass(frozen=True)
class Intent:
    """A spooled event and what its caller attached: the pipeline attaches the quota settle
    that charges the request if its process dies (replayed only with an event never committed)."""

    event: EventIn
    attached: dict[str, Any] | None


def key_of(event: EventIn) -> str:
    return f"{event.event_type}:{event.request_id or uuid.uuid4().hex}"


@dataclasses.dataclass
class _Waiting:
    records: dict[str, dict[str, Any]]
    done: asyncio.Future[None]


class Intents:
    """This process's audit spool: one thread and group commit (a lone request writes on the
    event loop: ``put``), and the keys it holds."""

    def __init__(self, directory: Path, *, fsync: bool = True) -> None:
        self.directory = directory
        self._fsync = fsync
        self._spool: Spool | None = None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="audit-spool")
        self._waiting: list[_Waiting] = []
        self._flushing = False
        self._held: set[str] = set()  # keys spooled and not yet committed to the database
        # Keys committed to the database since the last write: dropped from the file with the
        # next intents (one write, no thread hop or fsync of their own). A power loss may bring
        # them back, and replay skips events already committed.
        self._forgotten: list[str] = []

    async def _call(self, fn: Any, *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._thread, fn, *args)

    def _put(self, records: dict[str, dict[str, Any]], drop: list[str]) -> None:
        if self._spool is None:  # the first request of this process creates its file
            self._spool = Spool.create(self.directory, KIND, fsync=self._fsync)
        self._spool.put_many(records, drop=drop)

    async def put(
        self, event: EventIn, attached: dict[str, Any] | None = None, *, alone: bool = False
    ) -> None:
        """Return once ``event`` (and ``attached``) is on disk (fsync'd).

        ``alone``: the caller's request is the only one in flight, so the write is made on the
        event loop itself when no group is being written: blocking it for one ``fdatasync``
        (~0.1 ms on a quiet disk) then delays nobody, and saves the two thread hops that cost
        more than the write (a wake-up of each thread, docs/benchmarks.md "Fourth session —
        c1"). With others in flight, they share the thread's group commit instead."""
        records = {key_of(event): as_record(event, attached)}
        if alone and not self._flushing:
            self._write_now(records)
        else:
            await self._write(records)

    def _write_now(self, records: dict[str, dict[str, Any]]) -> None:
        drop, self._forgotten = self._forgotten, []
        try:
            self._put(records, drop)
        except Exception:
            self._forgotten[:0] = drop  # still in the file
            raise
        self._held.update(records)

    async def keep(self, events: list[EventIn]) -> None:
        """Write final events over their intents (the database refused them, or we stop)."""
        if events:
            await self._write({key_of(e): as_record(e) for e in events})

    async def _write(self, records: dict[str, dict[str, Any]]) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Waiting(records, done))
        if not self._flushing:
            self._flushing = True
            asyncio.get_running_loop().create_task(self._flush())
        # Shielded: a client leaving must not cancel the write of its own request's record.
        await asyncio.shield(done)

    async def _flush(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                records = {k: r for w in batch for k, r in w.records.items()}
                drop, self._forgotten = self._forgotten, []
                try:
                    await self._call(self._put, records, drop)
                except Exception as exc:  # the callers refuse their requests
                    self._forgotten[:0] = drop  # still in the file
                    for waiting in batch:
                        waiting.done.set_exception(exc)
                else:
                    self._held.update(records)
                    for waiting in batch:
                        waiting.done.set_result(None)
        finally:
            self._flushing = False

    async def forget(self, events: list[EventIn]) -> None:
        """Drop the intents of events now committed to the database."""
        keys = [k for k in (f"{e.event_type}:{e.request_id}" for e in events) if k in self._held]
        self._held.difference_update(keys)
        self._forgotten.extend(keys)

    def orphans(self) -> list[Spool]:
        """Spools of dead processes (blocking; call through ``adopt``)."""
        return list(Spool.orphans(self.directory, KIND))

    async def adopt(self) -> list[Spool]:
        found: list[Spool] = await self._call(self.orphans)
        return found

    async def records(self, spool: Spool) -> list[Intent]:
        found = (await self._call(spool.records)).values()
        return [Intent(as_event(r), r.get(_ATTACHED)) for r in found]

    async def finish(self, spool: Spool, *, replayed: bool) -> None:
        """Close an adopted spool; emptied (and so deleted) when its events were replayed."""
        if replayed:
            await self._call(lambda: spool.remove(list(spool.records())))
        await self._call(spool.close)

    async def close(self) -> None:
        if self._spool is not None:
            await self._call(_close, self._spool, self._forgotten)
            self._forgotten = []
            self._spool = None
        self._thread.shutdown(wait=True)


def _close(spool: Spool, drop: list[str]) -> None:
    """Drop what was committed (the file is then deleted if nothing else is left) and close."""
    try:
        spool.remove(drop, sync=False)
    finally:
        spool.close()
