"""Reporting periods: calendar weeks (Monday first) and months, as local dates.

A report's weeks are clipped to its range (``weeks``): the November report's first row is
11/1-11/1 and its last 11/30-11/30, so its rows add up to the month and no row moves after the
month has ended.

A period is ``[start, end)`` in the configured time zone; ``utc`` gives the bounds of the indexed
``created_at`` range. Used by the KPIs (``audit.kpi``), their exports and the monthly report.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

PeriodKind = Literal["week", "month"]


@dataclass(frozen=True)
class Period:
    """``[start, end)`` in local dates."""

    kind: PeriodKind
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def last(self) -> date:
        """The last day in the period (pages print inclusive ranges)."""
        return self.end - timedelta(days=1)

    @property
    def span(self) -> str:
        """The inclusive range as month/day, e.g. ``11/1–11/2`` (a week's label in tables)."""
        last = self.last
        return f"{self.start.month}/{self.start.day}–{last.month}/{last.day}"

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.start.year}年{self.start.month}月"
        return f"{self.span} の週"

    def utc(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        lo = datetime.combine(self.start, time(), tz).astimezone(UTC)
        return lo, datetime.combine(self.end, time(), tz).astimezone(UTC)


def period_of(kind: PeriodKind, day: date) -> Period:
    """The week (Monday to Sunday) or calendar month containing ``day``."""
    if kind == "week":
        start = day - timedelta(days=day.weekday())
        return Period("week", start, start + timedelta(days=7))
    start = day.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1)
    return Period("month", start, end)


def weeks(start: date, end: date) -> Iterator[Period]:
    """The weeks that overlap ``[start, end)``, the first and last clipped to it."""
    week = period_of("week", start)
    while week.start < end:
        yield Period("week", max(week.start, start), min(week.end, end))
        week = period_of("week", week.end)
