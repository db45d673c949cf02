"""``kakehashi audit verify`` finds edited, deleted and reordered events; ``audit purge``
deletes only expired events and leaves a chain that still verifies."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select, text

from audit.chain import EventIn, event_hash
from audit.cli import audit
from audit.models import AuditEvent
from audit.writer import append_batch
from gateway.kernel.db import make_async_engine, make_sync_engine, sessionmaker

NOW = datetime.now(UTC)


def events(n: int, *, days_ago: int = 0, department: str | None = "営業部") -> list[EventIn]:
    at = NOW - timedelta(days=days_ago)
    return [
        EventIn(
            event_type="chat.completion",
            outcome="ok",
            request_id=f"r{days_ago}-{i}",
            user_email="sato@example.co.jp",
            department=department,
            cost_jpy=1.5,
            redactions={"PERSON": 1},
            detail={"note": "佐藤様宛て"},
            created_at=at + timedelta(seconds=i),
        )
        for i in range(n)
    ]


def append(url: str, batch: list[EventIn]) -> None:
    async def _run() -> None:
        engine = make_async_engine(url)
        try:
            async with sessionmaker(engine).begin() as session:
                await append_batch(session, batch)
        finally:
            await engine.dispose()

    asyncio.run(_run())


def sql(url: str, *statements: str) -> None:
    engine = make_sync_engine(url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


@pytest.fixture
def cli(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    config = tmp_path / "config.yaml"
    config.write_text(f"mode: test\ndatabase:\n  url: {db_url}\n", "utf-8")
    monkeypatch.setenv("KAKEHASHI_SECRET_KEY", "test-secret-for-checkpoints-0123456789")

    def _run(*args: str) -> Result:
        return CliRunner().invoke(audit, [*args, "--config", str(config)])

    return _run


def test_an_untouched_log_verifies(db_url: str, cli: Callable[..., Result]) -> None:
    append(db_url, events(3))
    append(db_url, events(2))
    result = cli("verify")
    assert result.exit_code == 0, result.output
    assert "5 events" in result.output
    assert "改ざんされていません" in result.output


@pytest.mark.parametrize(
    ("tamper", "seq", "problem"),
    [
        (["UPDATE audit_events SET cost_jpy = 0 WHERE seq = 3"], 3, "edited"),
        (["UPDATE audit_events SET department = '総務部' WHERE seq = 1"], 1, "edited"),
        (["DELETE FROM audit_events WHERE seq = 3"], 3, "deleted"),
        (["DELETE FROM audit_events WHERE seq = 5"], 5, "deleted"),
        (
            [
                "UPDATE audit_events SET seq = -1 WHERE seq = 3",
                "UPDATE audit_events SET seq = 3 WHERE seq = 4",
                "UPDATE audit_events SET seq = 4 WHERE seq = -1",
            ],
            3,
            "reordered",
        ),
    ],
    ids=["edited", "edited-first", "deleted-middle", "deleted-last", "reordered"],
)
def test_tampering_is_found_at_the_first_broken_event(
    db_url: str, cli: Callable[..., Result], tamper: list[str], seq: int, problem: str
) -> None:
    append(db_url, events(5))
    sql(db_url, *tamper)
    result = cli("verify")
    assert result.exit_code == 1
    assert f"first broken event: seq {seq} ({problem})" in result.output
    assert f"seq {seq}" in result.output.splitlines()[0]  # the Japanese line names it too


def test_a_rewritten_event_with_a_fresh_hash_is_still_found(
    db_url: str, cli: Callable[..., Result]
) -> None:
    append(db_url, events(4))
    engine = make_sync_engine(db_url)
    try:
        with engine.begin() as conn:
            table = AuditEvent.__table__
            row = conn.execute(select(table).where(table.c.seq == 2)).mappings().one()
            columns = dict(row) | {"cost_jpy": 0.0}
            fresh = event_hash(row["prev_hash"], 2, columns)
            conn.execute(
                text("UPDATE audit_events SET cost_jpy = 0, hash = :h WHERE seq = 2"), {"h": fresh}
            )
    finally:
        engine.dispose()
    result = cli("verify")
    assert result.exit_code == 1
    assert "first broken event: seq 2 (edited)" in result.output


def test_purge_removes_only_expired_events_and_the_chain_still_verifies(
    db_url: str, cli: Callable[..., Result]
) -> None:
    append(db_url, events(3, days_ago=400))  # past the default 365 days
    append(db_url, events(2, days_ago=400, department=None))
    append(db_url, events(2, days_ago=10))
    append(db_url, events(1, days_ago=400))  # expired, but after kept events: stays
    dry = cli("purge", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "would delete 5 events (through seq 5)" in dry.output
    done = cli("purge")
    assert "deleted 5 events (through seq 5)" in done.output
    engine = make_sync_engine(db_url)
    try:
        with engine.connect() as conn:
            seqs = conn.execute(text("SELECT seq FROM audit_events ORDER BY seq")).scalars().all()
            purged = conn.execute(
                text("SELECT detail FROM audit_events WHERE event_type = 'audit.purged'")
            ).scalar_one()
    finally:
        engine.dispose()
    assert seqs == [6, 7, 8, 9]  # 9: the audit.purged event itself
    assert "5" in str(purged)
    result = cli("verify")
    assert result.exit_code == 0, result.output
    assert "4 events (seq 6..9)" in result.output
    # A second purge finds nothing more to delete.
    assert "deleted 0 events" in cli("purge").output


def test_a_forged_checkpoint_is_refused(db_url: str, cli: Callable[..., Result]) -> None:
    append(db_url, events(2, days_ago=400))
    append(db_url, events(2))
    assert cli("purge").exit_code == 0
    # Someone deletes more and covers the gap with a checkpoint of their own.
    sql(
        db_url,
        "INSERT INTO audit_checkpoints (created_at, through_seq, through_hash, purged_events,"
        " cutoff, signature) SELECT created_at, 3, hash, 3, created_at, 'f00d' FROM"
        " audit_events WHERE seq = 3",
        "DELETE FROM audit_events WHERE seq <= 3",
    )
    result = cli("verify")
    assert result.exit_code == 1
    assert "first broken event: seq 3 (checkpoint_forged)" in result.output


def test_the_installed_command_runs_verify(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(f"mode: test\ndatabase:\n  url: sqlite:///{tmp_path / 'k.db'}\n", "utf-8")
    run = [sys.executable, "-m", "gateway"]
    subprocess.run([*run, "db", "upgrade", "--config", str(config)], check=True, timeout=60)
    result = subprocess.run(
        [*run, "audit", "verify", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "0 events" in result.stdout
