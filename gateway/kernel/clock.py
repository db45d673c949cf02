"""Time helpers: the one place that decides what a naive datetime means (UTC).

Timestamps are timezone-aware UTC everywhere inside; Japan time is applied only at the edges
(pages, reports, quota windows).
"""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["UTC", "aware", "utcnow"]


def aware(value: datetime) -> datetime:
    """``value`` with UTC attached when it has no time zone (as SQLite returns it)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)
