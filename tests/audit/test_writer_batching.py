"""The audit writer batches events nobody waits for (issue 2): held events are never reported
as committed, ``stop`` commits everything queued, and two writers on one database (two worker
processes) still build one unbroken hash chain."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import select

from audit.chain import EventIn
from audit.models import AuditEvent
from audit.verify import checkpoint_key, verify
from audit.writer import AuditWriter
from gateway.kernel.db import is_sqlite, make_async_engine, make_sync_engine, sessionmaker

pytestmark = pytest.mark.anyio


def _event(i: int) -> EventIn:
    return EventIn(event_type="chat.completion", outcome="ok", request_id=f"r{i}", detail={"i": i})


@asynccontextmanager
async def _writers(url: str, *waits: bool) -> AsyncIterator[list[AuditWriter]]:
    """Started writers (``waits``: wait_for_commit of each), stopped and disposed on exit."""
    engines = [make_async_engine(url) for _ in waits]
    writers = [
        AuditWriter(
            sessionmaker(engine),
            sync_engine=make_sync_engine(url) if is_sqlite(url) else None,
            wait_for_commit=wait,
        )
        for engine, wait in zip(engines, waits, strict=True)
    ]
    for writer in writers:
        writer.start()
    try:
        yield writers
    finally:
        for writer in writers:
            await writer.stop()
        for engine in engines:
            await engine.dispose()


async def _rows(url: str) -> list[AuditEvent]:
    engine = make_async_engine(url)
    try:
        async with sessionmaker(engine)() as session:
            return list(
                (await session.execute(select(AuditEvent).order_by(AuditEvent.seq))).scalars()
            )
    finally:
        await engine.dispose()


def _assert_chain(url: str, count: int) -> None:
    engine = make_sync_engine(url)
    try:
        with engine.connect() as conn:
            result = verify(conn, key=checkpoint_key("test-secret"))
    finally:
        engine.dispose()
    assert result.ok, result.summary()
    assert (result.checked, result.head_seq) == (count, count)


async def test_queued_events_are_not_idle_and_stop_commits_them(db_url: str) -> None:
    async with _writers(db_url, False) as [writer]:
        for i in range(3):
            await writer.append(_event(i))
        await asyncio.sleep(0)  # the writer task takes the first event and holds it to batch
        assert not writer.idle()
        await writer.stop()
    rows = await _rows(db_url)
    assert [r.request_id for r in rows] == ["r0", "r1", "r2"]
    _assert_chain(db_url, 3)


async def test_two_writers_keep_one_chain(db_url: str) -> None:
    async with _writers(db_url, False, True) as writers:
        await asyncio.gather(*(writers[i % 2].append(_event(i)) for i in range(60)))
    rows = await _rows(db_url)
    assert sorted(r.request_id for r in rows) == sorted(f"r{i}" for i in range(60))
    _assert_chain(db_url, 60)
