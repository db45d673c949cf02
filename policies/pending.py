"""Settles the quota store could not take, kept on local disk until it can.

A settle that fails (Redis down, a timeout, a full connection pool) would otherwise drop the
request's usage from the quota and leave its hold until ``hold_ttl_s``. Instead the settle is
written to this process's spool (``gateway.kernel.spool``: fsync'd, survives SIGKILL) and replayed
every few seconds until the store answers; at start-up, and every minute, spools left by dead
processes are adopted and replayed too. The store charges each hold once (a marker per hold),
so replaying a settle whose first attempt did reach Redis charges nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread

from gateway.kernel.spool import Spool
from policies.quota_store import Bucket, QuotaStore, StoreUnavailable

log = logging.getLogger(__name__)

_RETRY_S = 2.0  # how often this process's own spool is retried while it holds settles


def settle_record(
    hold_id: str,
    buckets: Sequence[Bucket],
    reserved: Sequence[int],
    actual: Sequence[int],
    now_ms: int,
) -> dict[str, Any]:
    return {
        "hold_id": hold_id,
        "buckets": [b.row for b in buckets],  # made once per bucket (issue 18)
        "reserved": list(reserved),
        "actual": list(actual),
        "now_ms": now_ms,
    }


def _buckets(record: dict[str, Any]) -> tuple[Bucket, ...]:
    return tuple(
        Bucket(**(b | {"resets_at": datetime.fromisoformat(b["resets_at"])}))
        for b in record["buckets"]
    )


def settle_args(record: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of ``QuotaStore.settle`` that ``settle_record`` wrote down."""
    return {
        "hold_id": record["hold_id"],
        "buckets": _buckets(record),
        "reserved": record["reserved"],
        "actual": record["actual"],
        "now_ms": record["now_ms"],
    }


class PendingSettles:
    """This process's spool of settles, and the task that replays it."""

    def __init__(self, store: QuotaStore, directory: Path, *, orphans_s: float = 60.0) -> None:
        """``orphans_s``: how often spools of dead processes are looked for."""
        self._store = store
        self._orphans_s = orphans_s
        self._directory = directory
        self._spool: Spool | None = None  # created on the first failed settle
        self._lock = anyio.Lock()  # one spool call at a time (one file offset and live map)

    async def keep(
        self,
        *,
        hold_id: str,
        buckets: Sequence[Bucket],
        reserved: Sequence[int],
        actual: Sequence[int],
        now_ms: int,
        error: Exception,
    ) -> None:
        """Record a settle the store refused; it is retried until the store takes it."""
        record = settle_record(hold_id, buckets, reserved, actual, now_ms)
        async with self._lock:
            if self._spool is None:
                self._spool = await anyio.to_thread.run_sync(
                    Spool.create, self._directory, "settle"
                )
            await anyio.to_thread.run_sync(self._spool.put, hold_id, record)
        log.warning("quota settle for hold %s kept for retry (%s)", hold_id, error)

    async def replay(self, *, orphans: bool = True) -> int:
        """Settle what this process (and, with ``orphans``, dead processes) kept; the number
        settled."""
        done = 0
        async with self._lock:
            if self._spool is not None:
                done += await self._replay(self._spool)
                if await anyio.to_thread.run_sync(len, self._spool) == 0:
                    await anyio.to_thread.run_sync(self._spool.close)  # deletes the file
                    self._spool = None
            if orphans:
                found = await anyio.to_thread.run_sync(
                    lambda: list(Spool.orphans(self._directory, "settle"))
                )
                for orphan in found:
                    try:
                        done += await self._replay(orphan)
                    finally:
                        await anyio.to_thread.run_sync(orphan.close)
        return done

    async def _replay(self, spool: Spool) -> int:
        done: list[str] = []
        try:
            for key, record in (await anyio.to_thread.run_sync(spool.records)).items():
                await self._store.settle(**settle_args(record))
                done.append(key)
        except StoreUnavailable as exc:
            log.warning("quota store still unavailable; %s settles wait (%s)", len(spool), exc)
        finally:
            await anyio.to_thread.run_sync(spool.remove, done)
        if done:
            log.info("replayed %d kept quota settles from %s", len(done), spool.path.name)
        return len(done)

    async def run(self) -> None:
        """Replay at start-up, then retry every few seconds (the lifespan runs this task)."""
        orphans_at = 0.0
        while True:
            now = anyio.current_time()
            try:
                await self.replay(orphans=now >= orphans_at)
            except OSError:  # a full or read-only disk: said, and retried
                log.exception("replaying kept quota settles failed")
            if now >= orphans_at:
                orphans_at = now + self._orphans_s
            await anyio.sleep(_RETRY_S)

    async def close(self) -> None:
        """Release this process's spool (kept on disk if settles still wait)."""
        async with self._lock:
            if self._spool is not None:
                await anyio.to_thread.run_sync(self._spool.close)
                self._spool = None
