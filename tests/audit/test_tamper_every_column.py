"""Every column of an audit event is covered by the hash chain: edited in turn, each one is found
by ``audit verify``; and ``event_hash`` changes when any single field changes.

The column list is read from the table itself, so a column added later is covered (or fails here)
without anyone remembering to extend a list.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Column, update

from audit.chain import EventIn, event_hash
from audit.models import AuditEvent
from audit.verify import checkpoint_key, verify
from gateway.kernel.db import make_sync_engine
from tests.audit.test_verify import append

_TABLE = AuditEvent.__table__
# The chain's own bookkeeping: seq is covered by the reorder and delete tests.
_BOOKKEEPING = {"id", "seq", "prev_hash", "hash"}
CONTENT = [c.name for c in _TABLE.columns if c.name not in _BOOKKEEPING]
KEY = checkpoint_key("test-secret")


def _full(i: int) -> EventIn:
    """An event with every field set, so an edit is never from NULL to NULL."""
    return EventIn(
        event_type="chat.completion",
        outcome="ok",
        status_code=200,
        error_code="none",
        request_id=f"req-{i}",
        user_email="sato@example.co.jp",
        department="営業部",
        role="staff",
        model="gpt-4o-mini",
        use_case="メール作成",
        prompt_tokens=120,
        completion_tokens=80,
        cost_jpy=1.25,
        latency_ms=350,
        redactions={"PERSON": 1},
        policy_version="v1",
        detail={"note": "佐藤様宛て"},
        created_at=datetime(2026, 11, 1, 9, 0, i, tzinfo=UTC),
    )


def _changed(column: Column[Any], value: Any) -> Any:
    """A different value of the same type (a tamperer keeps the row valid)."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, str):
        return value[:-1] + ("X" if value[-1:] != "X" else "Y")
    if isinstance(value, dict):
        return {**value, "tampered": True}
    if isinstance(value, datetime):
        return value + timedelta(seconds=1)
    raise AssertionError(f"no edit for column {column.name} ({value!r})")


def test_the_table_has_no_column_the_event_does_not_know() -> None:
    fields = {f.name for f in dataclasses.fields(EventIn)}
    assert set(CONTENT) == fields


@pytest.mark.parametrize("name", [f.name for f in dataclasses.fields(EventIn)])
def test_the_hash_changes_with_every_field(name: str) -> None:
    columns = _full(1).columns()
    edited = columns | {name: _changed(_TABLE.c[name], columns[name])}
    assert event_hash("0" * 64, 1, edited) != event_hash("0" * 64, 1, columns)


def test_each_column_edited_in_turn_is_found(db_url: str) -> None:
    append(db_url, [_full(i) for i in range(1, 6)])
    engine = make_sync_engine(db_url)
    try:
        with engine.connect() as conn:
            assert verify(conn, key=KEY).ok
            original = conn.execute(_TABLE.select().where(_TABLE.c.seq == 3)).mappings().one()
        missed = []
        for name in CONTENT:
            with engine.begin() as conn:
                edit = _changed(_TABLE.c[name], original[name])
                conn.execute(update(_TABLE).where(_TABLE.c.seq == 3).values({name: edit}))
            with engine.connect() as conn:
                found = verify(conn, key=KEY)
            if (found.ok, found.broken_seq, found.problem) != (False, 3, "edited"):
                missed.append(name)
            with engine.begin() as conn:  # put it back for the next column
                conn.execute(update(_TABLE).where(_TABLE.c.seq == 3).values({name: original[name]}))
            with engine.connect() as conn:
                assert verify(conn, key=KEY).ok, f"restoring {name} did not restore the chain"
    finally:
        engine.dispose()
    assert missed == [], f"edits not detected in: {missed}"
