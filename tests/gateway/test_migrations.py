"""Migrations build the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import text

from gateway.kernel.db import make_sync_engine
from gateway.migrate import drift


def test_upgrade_to_head_matches_the_models(db_url: str) -> None:
    assert drift(db_url) == []


def test_the_audit_chain_starts_at_genesis(db_url: str) -> None:
    engine = make_sync_engine(db_url)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT seq, hash FROM audit_chain_head WHERE id = 1")).one()
    engine.dispose()
    assert (row[0], row[1]) == (0, "0" * 64)
