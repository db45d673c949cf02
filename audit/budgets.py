"""Budgets: every department's and user's use against its limits, today and this month, the
daily series behind the burn-down chart, and a month-end forecast.

One source of truth: the ``chat.completion`` audit events (the tokens and yen each request was
charged when its quota hold was settled), summed in SQL over the calendar windows the quota
ledger uses (``settings.timezone``). The limits are the live policies'. The page, the JSON API
and the CSV export all read ``usage`` below, so they cannot disagree. Requests still in flight
(held, not yet settled) are not counted until they finish.

The forecast is linear on Japanese business days (weekdays that are not national holidays,
``jpholiday``): month-to-date use / business days elapsed (today included) x business days in
the month. With no business day elapsed yet it falls back to calendar days.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import jpholiday
from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from audit.models import AuditEvent
from audit.periods import period_of
from audit.reports import KpiSource
from gateway.kernel.vocab import EventType
from policies.model import Limit, Policy

Unit = Literal["tokens", "yen"]
_E = AuditEvent.__table__.c
FORECAST_METHOD = (
    "月末予測: 今月これまでの利用 ÷ 今日までの営業日数 (土日・祝日を除く、今日を含む) "
    "× 今月の営業日数 (線形)。営業日がまだないときは暦日で計算します。"
)


@dataclass(frozen=True)
class Use:
    tokens: int = 0
    yen: float = 0.0

    def of(self, unit: Unit) -> float:
        return float(self.tokens) if unit == "tokens" else self.yen


def _share(used: float, limit: float | None) -> float | None:
    if limit is None:
        return None
    return round(used / limit, 4) if limit else 1.0


@dataclass(frozen=True)
class Line:
    """One department (``user`` None) or one user of a department."""

    department: str
    user: str | None
    today: Use
    month: Use
    day_limit: Limit
    month_limit: Limit
    forecast: Use  # at month end, at the current pace

    def share(self, window: Literal["day", "month"], unit: Unit) -> float | None:
        """Used / limit (None when there is no limit)."""
        used = (self.today if window == "day" else self.month).of(unit)
        limit = getattr(self.day_limit if window == "day" else self.month_limit, unit)
        return _share(used, limit)


@dataclass(frozen=True)
class Burndown:
    """A department's month, day by day: cumulative use after each day so far."""

    department: str
    days_in_month: int
    cumulative_yen: tuple[float, ...]  # day 1 .. today
    cumulative_tokens: tuple[int, ...]
    limit_yen: float | None
    limit_tokens: int | None
    forecast: Use


@dataclass(frozen=True)
class BudgetReport:
    department: str | None  # None: every department
    today: date
    month_start: date
    month_end: date  # exclusive
    business_days_elapsed: int
    business_days_in_month: int
    departments: tuple[Line, ...]
    users: tuple[Line, ...]
    burndowns: tuple[Burndown, ...]
    method: str = FORECAST_METHOD

    def line(self, department: str) -> Line | None:
        return next((d for d in self.departments if d.department == department), None)


def business_day(day: date) -> bool:
    return day.weekday() < 5 and not jpholiday.is_holiday(day)


def _pace(start: date, end: date, today: date) -> tuple[int, int, float]:
    """(business days elapsed, business days in the month, the multiplier to month end)."""
    days = [start + timedelta(n) for n in range((end - start).days)]
    elapsed = sum(1 for d in days if d <= today and business_day(d))
    total = sum(1 for d in days if business_day(d))
    if elapsed == 0:  # a month opening on a weekend or a holiday: calendar days
        return elapsed, total, len(days) / ((today - start).days + 1)
    return elapsed, total, total / elapsed


def _forecast(month: Use, factor: float) -> Use:
    return Use(round(month.tokens * factor), round(month.yen * factor, 2))


def _at(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tz).astimezone(UTC)


def _where(lo: datetime, hi: datetime, department: str | None) -> list[ColumnElement[bool]]:
    conditions = [
        _E.event_type == EventType.CHAT_COMPLETION,
        _E.created_at >= lo,
        _E.created_at < hi,
    ]
    if department is not None:
        conditions.append(_E.department == department)
    return conditions


_TOKENS = _E.prompt_tokens + _E.completion_tokens


async def _by_user(
    session: AsyncSession, lo: datetime, hi: datetime, today_lo: datetime, department: str | None
) -> list[Any]:
    today = _E.created_at >= today_lo
    query = (
        select(
            _E.department,
            func.lower(_E.user_email),
            func.coalesce(func.sum(_TOKENS), 0),
            func.coalesce(func.sum(_E.cost_jpy), 0.0),
            func.coalesce(func.sum(case((today, _TOKENS), else_=0)), 0),
            func.coalesce(func.sum(case((today, _E.cost_jpy), else_=0.0)), 0.0),
        )
        .where(*_where(lo, hi, department))
        .group_by(_E.department, func.lower(_E.user_email))
    )
    return list((await session.execute(query)).all())


async def _by_day(
    session: AsyncSession, bounds: list[datetime], department: str | None
) -> list[Any]:
    """(department, day index, tokens, yen): one CASE over the local day bounds, so any time
    zone's midnight is exact without dialect-specific date functions."""
    index = case(
        *((_E.created_at < bound, i) for i, bound in enumerate(bounds[1:])), else_=len(bounds)
    )
    query = (
        select(
            _E.department,
            index,
            func.coalesce(func.sum(_TOKENS), 0),
            func.coalesce(func.sum(_E.cost_jpy), 0.0),
        )
        .where(*_where(bounds[0], bounds[-1], department))
        .group_by(_E.department, index)
    )
    return list((await session.execute(query)).all())


def _cumulative(values: list[float]) -> list[float]:
    total, out = 0.0, []
    for v in values:
        total += v
        out.append(total)
    return out


def _burndown(
    department: str, rows: list[Any], days: int, elapsed: int, policy: Policy, factor: float
) -> Burndown:
    yen, tokens = [0.0] * elapsed, [0.0] * elapsed
    for _, i, t, y in rows:
        if 0 <= int(i) < elapsed:
            tokens[int(i)] += int(t)
            yen[int(i)] += float(y)
    limit = policy.quotas.department.month
    cum_yen = tuple(round(v, 2) for v in _cumulative(yen))
    cum_tokens = tuple(int(v) for v in _cumulative(tokens))
    month = Use(cum_tokens[-1] if cum_tokens else 0, cum_yen[-1] if cum_yen else 0.0)
    return Burndown(
        department,
        days,
        cum_yen,
        cum_tokens,
        limit.yen,
        limit.tokens,
        _forecast(month, factor),
    )


def _departments(rows: list[Any], only: str | None, known: Sequence[str]) -> list[str]:
    if only is not None:
        return [only]
    return sorted({str(r[0]) for r in rows if r[0] is not None} | set(known))


async def usage(
    *,
    source: KpiSource,
    department: str | None,
    known: Sequence[str] = (),
    today: date | None = None,
) -> BudgetReport:
    """Use against limits for ``department`` (None: every department that used something this
    month, and every one in ``known``: those with a policy of their own) this month."""
    tz = source.tz
    today = today or source.today()
    month = period_of("month", today)
    elapsed_days = (today - month.start).days + 1
    bounds = [_at(month.start + timedelta(n), tz) for n in range(elapsed_days + 1)]
    async with source.sessions() as session:
        rows = await _by_user(session, bounds[0], bounds[-1], bounds[-2], department)
        days = await _by_day(session, bounds, department)
    b_elapsed, b_total, factor = _pace(month.start, month.end, today)
    users: list[Line] = []
    totals: dict[str, list[float]] = {}
    for dept, user, tokens, yen, t_tokens, t_yen in rows:
        name = str(dept or "")
        acc = totals.setdefault(name, [0, 0.0, 0, 0.0])
        acc[0] += int(tokens)
        acc[1] += float(yen)
        acc[2] += int(t_tokens)
        acc[3] += float(t_yen)
        if user is None:
            continue
        windows = source.policies.for_department(name).quotas.per_user
        month_use = Use(int(tokens), round(float(yen), 2))
        users.append(
            Line(
                name,
                str(user),
                Use(int(t_tokens), round(float(t_yen), 2)),
                month_use,
                windows.day,
                windows.month,
                _forecast(month_use, factor),
            )
        )
    lines, burndowns = [], []
    for name in _departments(rows, department, known):
        policy = source.policies.for_department(name)
        t = totals.get(name, [0, 0.0, 0, 0.0])
        month_use = Use(int(t[0]), round(t[1], 2))
        windows = policy.quotas.department
        lines.append(
            Line(
                name,
                None,
                Use(int(t[2]), round(t[3], 2)),
                month_use,
                windows.day,
                windows.month,
                _forecast(month_use, factor),
            )
        )
        mine = [r for r in days if str(r[0] or "") == name]
        burndowns.append(_burndown(name, mine, month.days, elapsed_days, policy, factor))
    return BudgetReport(
        department=department,
        today=today,
        month_start=month.start,
        month_end=month.end,
        business_days_elapsed=b_elapsed,
        business_days_in_month=b_total,
        departments=tuple(lines),
        users=tuple(sorted(users, key=lambda u: (u.department, u.user or ""))),
        burndowns=tuple(burndowns),
    )


CSV_HEADER = (
    "区分",
    "部署",
    "利用者",
    "今日のトークン",
    "今日の上限トークン",
    "今日の円",
    "今日の上限円",
    "今月のトークン",
    "今月の上限トークン",
    "今月の円",
    "今月の上限円",
    "月末予測トークン",
    "月末予測円",
)


def _cell(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def csv_rows(report: BudgetReport) -> list[list[str]]:
    """The export's rows (header first): the same numbers the page prints."""
    rows = [list(CSV_HEADER)]
    for line in (*report.departments, *report.users):
        rows.append(
            [
                "部署" if line.user is None else "個人",
                line.department,
                line.user or "",
                *map(
                    _cell,
                    (
                        line.today.tokens,
                        line.day_limit.tokens,
                        line.today.yen,
                        line.day_limit.yen,
                        line.month.tokens,
                        line.month_limit.tokens,
                        line.month.yen,
                        line.month_limit.yen,
                        line.forecast.tokens,
                        line.forecast.yen,
                    ),
                ),
            ]
        )
    return rows


def to_csv(report: BudgetReport) -> bytes:
    """UTF-8 with a BOM, so Japanese Excel opens it as it is."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(csv_rows(report))
    return ("\ufeff" + out.getvalue()).encode("utf-8")
