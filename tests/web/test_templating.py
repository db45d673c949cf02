"""What pages print: roles and entity types in Japanese, UTC times from the database in Japan
time (keys, history), whatever the database hands back (SQLite's naive values are UTC)."""

from __future__ import annotations

from datetime import UTC, datetime

from gateway.kernel.principal import role_ja
from web.templating import entity_ja, local_time


def test_roles_and_entity_types_read_in_japanese() -> None:
    assert [role_ja(r) for r in ("staff", "manager", "admin")] == [
        "一般社員",
        "部門管理者",
        "情シス管理者",
    ]
    assert role_ja("auditor") == "auditor"  # an unknown value is shown as it is
    assert (entity_ja("COMPANY"), entity_ja("PERSON"), entity_ja("MY_NUMBER")) == (
        "会社名",
        "人名",
        "マイナンバー",
    )


def test_times_are_shown_in_japan_time() -> None:
    late = datetime(2026, 12, 1, 16, 30, tzinfo=UTC)  # already 2 December in Tokyo
    assert local_time(late, "Asia/Tokyo") == "2026-12-02 01:30"
    assert local_time(late.replace(tzinfo=None), "Asia/Tokyo") == "2026-12-02 01:30"
    assert local_time("2026-12-01T16:30:00+00:00", "Asia/Tokyo", "%Y-%m-%d") == "2026-12-02"
    assert local_time(None, "Asia/Tokyo") == ""
