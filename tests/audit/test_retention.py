"""Retention per department: ``kakehashi audit purge`` deletes the longest prefix of the chain
whose events are all past their own department's ``retention.days``, and the chain still
verifies from the signed checkpoint, purge after purge."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import text

from audit.chain import EventIn
from audit.cli import audit
from audit.retention import purge
from audit.verify import checkpoint_key
from audit.writer import append_batch
from gateway.kernel.db import make_async_engine, make_sync_engine, sessionmaker

NOW = datetime.now(UTC)
SECRET = "test-secret-for-retention-0123456789"
POLICIES = {
    "_defaults.yaml": "retention: {days: 365}\n",
    "営業部.yaml": "retention: {days: 30}\n",
    "総務部.yaml": "retention: {days: 730}\n",
}


def event(department: str | None, days_ago: int) -> EventIn:
    return EventIn(
        event_type="chat.completion",
        outcome="ok",
        user_email="sato@example.co.jp",
        department=department,
        detail={"note": "鈴木様"},
        created_at=NOW - timedelta(days=days_ago),
    )


def append(url: str, *batch: EventIn) -> None:
    async def _run() -> None:
        engine = make_async_engine(url)
        try:
            async with sessionmaker(engine).begin() as session:
                await append_batch(session, list(batch))
        finally:
            await engine.dispose()

    asyncio.run(_run())


def query(url: str, statement: str) -> list[object]:
    engine = make_sync_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(statement))
            return list(result.scalars().all()) if result.returns_rows else []
    finally:
        engine.dispose()


@pytest.fixture
def cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    folder = tmp_path / "policies"
    folder.mkdir()
    for name, body in POLICIES.items():
        (folder / name).write_text(body, "utf-8")
    config = tmp_path / "config.yaml"
    config.write_text(f"mode: test\ndatabase:\n  url: {db_url}\npolicies_dir: {folder}\n", "utf-8")
    monkeypatch.setenv("KAKEHASHI_SECRET_KEY", SECRET)

    def _run(*args: str) -> Result:
        return CliRunner().invoke(audit, [*args, "--config", str(config)])

    return _run


def test_each_department_keeps_its_own_retention(db_url: str, cli: Callable[..., Result]) -> None:
    append(
        db_url,
        event("営業部", 40),  # 1: past 営業部's 30 days
        event("営業部", 40),  # 2
        event("経理部", 400),  # 3: no policy of its own: the default 365 days
        event(None, 400),  # 4: no department: the longest retention (総務部, 730): kept
        event("営業部", 40),  # 5: expired, but behind a kept event: stays
    )
    dry = cli("purge", "--dry-run")
    assert "would delete 3 events (through seq 3)" in dry.output, dry.output
    assert query(db_url, "SELECT count(*) FROM audit_events") == [5]  # a dry run deletes nothing
    done = cli("purge")
    assert done.exit_code == 0, done.output
    assert "deleted 3 events (through seq 3)" in done.output
    assert query(db_url, "SELECT seq FROM audit_events ORDER BY seq") == [4, 5, 6]
    assert query(db_url, "SELECT event_type FROM audit_events WHERE seq = 6") == ["audit.purged"]
    verified = cli("verify")
    assert verified.exit_code == 0, verified.output
    assert "3 events (seq 4..6)" in verified.output


def test_an_event_inside_its_retention_stops_the_purge(
    db_url: str, cli: Callable[..., Result]
) -> None:
    append(db_url, event("総務部", 400), event("営業部", 400), event("営業部", 400))
    done = cli("purge")
    assert "deleted 0 events" in done.output, done.output
    assert query(db_url, "SELECT count(*) FROM audit_events") == [3]
    assert query(db_url, "SELECT count(*) FROM audit_checkpoints") == [0]


def test_purge_after_purge_verifies_from_the_newest_checkpoint(
    db_url: str, cli: Callable[..., Result]
) -> None:
    append(db_url, event("営業部", 100), event("営業部", 50), event("営業部", 10))

    async def purge_at(now: datetime) -> int:
        engine = make_async_engine(db_url)
        try:
            async with sessionmaker(engine).begin() as session:
                result = await purge(
                    session=session, days_for=lambda _: 30, key=checkpoint_key(SECRET), now=now
                )
            return result.events
        finally:
            await engine.dispose()

    assert asyncio.run(purge_at(NOW)) == 2  # seq 1-2; seq 4: audit.purged
    append(db_url, event("営業部", -40))  # seq 5, written 40 days from now
    assert asyncio.run(purge_at(NOW + timedelta(days=45))) == 2  # seq 3 and the purge event
    assert query(db_url, "SELECT through_seq FROM audit_checkpoints ORDER BY id") == [2, 4]
    assert query(db_url, "SELECT seq FROM audit_events ORDER BY seq") == [5, 6]
    verified = cli("verify")
    assert verified.exit_code == 0, verified.output
    assert "2 events (seq 5..6)" in verified.output

    # Without its checkpoints the chain no longer explains where it starts.
    query(db_url, "DELETE FROM audit_checkpoints")
    broken = cli("verify")
    assert broken.exit_code == 1
    assert "first broken event: seq 1 (deleted)" in broken.output
