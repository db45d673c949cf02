"""The SQLite writer thread's DB-API appender (``audit.writer.DirectAppender``) stores exactly
what SQLAlchemy Core's ``append_batch`` stores: the same rows byte for byte (time stamps,
JSON, floats, NULLs, the hash chain) and the same chain head, so ``audit verify`` and every
reader see no difference; and a failed batch leaves nothing behind."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from audit.chain import EventIn
from audit.verify import checkpoint_key, verify
from audit.writer import DirectAppender, append_batch
from gateway.kernel.db import make_async_engine, make_sync_engine, sessionmaker
from gateway.migrate import upgrade

pytestmark = pytest.mark.anyio

_JST = timezone(timedelta(hours=9))


def _events() -> list[EventIn]:
    full = EventIn(
        event_type="chat.completion",
        outcome="ok",
        status_code=200,
        error_code=None,
        request_id="req-1",
        user_email="sato@example.co.jp",
        department="営業部",
        role="staff",
        model="gpt-4o-mini",
        use_case="メール作成",
        prompt_tokens=120,
        completion_tokens=80,
        cost_jpy=0.1 + 0.2,  # not exactly representable: the float must round-trip as it is
        latency_ms=350,
        redactions={"PERSON": 2, "PHONE_NUMBER": 1},
        policy_version="v1",
        detail={"note": "佐藤様宛て\u2028", "nested": [1, None, {"a": 1.5}], "flag": True},
        created_at=datetime(2026, 11, 1, 18, 0, 0, 123456, tzinfo=_JST),  # stored as UTC
    )
    bare = EventIn(event_type="auth.failed", outcome="refused", status_code=401)
    late = EventIn(
        event_type="chat.completion",
        outcome="error",
        request_id="req-3",
        created_at=datetime(2026, 11, 1, 9, 0, 1, tzinfo=UTC),
    )
    return [full, bare, late]


def _dump(url: str) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    path = url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT * FROM audit_events ORDER BY seq").fetchall()
        head = db.execute("SELECT * FROM audit_chain_head").fetchall()
    return rows, head


async def test_rows_are_those_of_sqlalchemy_core(tmp_path: Path) -> None:
    core_url, direct_url = (f"sqlite:///{tmp_path / name}.db" for name in ("core", "direct"))
    for url in (core_url, direct_url):
        upgrade(url)
    events = _events()
    engine = make_async_engine(core_url)
    try:
        for batch in (events[:2], events[2:]):
            async with sessionmaker(engine).begin() as session:
                await append_batch(session, batch)
    finally:
        await engine.dispose()
    sync = make_sync_engine(direct_url)
    try:
        appender = DirectAppender(sync)
        assert appender(events[:2]) == [1, 2]
        assert appender(events[2:]) == [3]
        with sync.connect() as conn:
            result = verify(conn, key=checkpoint_key("test-secret"))
    finally:
        sync.dispose()
    assert result.ok, result.summary()
    assert result.checked == 3
    core, direct = _dump(core_url), _dump(direct_url)
    assert direct == core
    assert [type(v) for v in direct[0][0]] == [type(v) for v in core[0][0]]


def test_a_failed_batch_leaves_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kakehashi.db'}"
    upgrade(url)
    sync = make_sync_engine(url)
    try:
        appender = DirectAppender(sync)
        appender(_events()[:1])
        # The same request twice in one batch is fine; a seq taken twice is not (unique): make
        # the insert fail after the head was moved, inside the one transaction.
        path = url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as db:
            db.execute("UPDATE audit_chain_head SET seq = 0")
        with pytest.raises(sqlite3.IntegrityError):
            appender(_events()[1:2])
        rows, head = _dump(url)
        assert len(rows) == 1
        assert head[0][1] == 0  # the UPDATE of the failed batch was rolled back
    finally:
        sync.dispose()
