"""The KPI service: a department's KPIs for a period, the weekly series, and the CSV/xlsx
exports, for the JSON API (``gateway.http.routes.kpi``) and the pages (``web.report``) alike.

Keyword arguments, no ``Request``; the aggregation is SQL (``audit.kpi``) and the export files
are built in a worker thread, off the event loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from audit import export, kpi, periods
from audit.kpi import Kpis
from audit.periods import PeriodKind
from gateway.kernel.errors import BadRequest
from policies.resolve import PolicySource

ExportKind = Literal["csv", "xlsx"]
_MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class KpiSource:
    """Where KPIs come from: the audit database, the live policies, the company's time zone."""

    sessions: async_sessionmaker[AsyncSession]
    policies: PolicySource
    tz: ZoneInfo

    def today(self) -> date:
        return datetime.now(self.tz).date()


@dataclass(frozen=True)
class ExportFile:
    name: str  # ASCII: department names go in the file, not in a header they would mangle
    media_type: str
    body: bytes


async def department_kpis(
    *, source: KpiSource, department: str | None, kind: PeriodKind, day: date | None
) -> Kpis:
    now = source.today()
    async with source.sessions() as session:
        return await kpi.compute(
            session=session,
            policies=source.policies,
            department=department,
            period=periods.period_of(kind, day or now),
            tz=source.tz,
            as_of=now,
        )


async def weekly_kpis(
    *, source: KpiSource, department: str | None, start: date, end: date
) -> list[Kpis]:
    async with source.sessions() as session:
        return await kpi.weekly(
            session=session,
            policies=source.policies,
            department=department,
            start=start,
            end=end,
            tz=source.tz,
            as_of=source.today(),
        )


def export_range(
    *, source: KpiSource, department: str | None, start: date | None, end: date | None
) -> tuple[date, date]:
    """The trial when the department runs one, else this month; ``start``/``end`` override."""
    policy = source.policies.for_department(department) if department else None
    if policy is not None and policy.trial is not None:
        lo, hi = policy.trial.start, policy.trial.end + timedelta(days=1)
    else:
        month = periods.period_of("month", source.today())
        lo, hi = month.start, month.end
    lo, hi = start or lo, end or hi
    if hi <= lo or (hi - lo).days > 400:
        raise BadRequest(
            "期間が正しくありません (from < to、400 日以内)。",
            "The range is not valid (from before to, at most 400 days).",
        )
    return lo, hi


async def export_kpis(
    *,
    source: KpiSource,
    department: str | None,
    start: date | None,
    end: date | None,
    kind: ExportKind,
) -> ExportFile:
    """The weekly series over the export range as a CSV or xlsx file."""
    lo, hi = export_range(source=source, department=department, start=start, end=end)
    series = await weekly_kpis(source=source, department=department, start=lo, end=hi)
    build = export.to_csv if kind == "csv" else export.to_xlsx
    body = await anyio.to_thread.run_sync(build, series)
    return ExportFile(f"kakehashi-kpi-{lo.isoformat()}.{kind}", _MEDIA_TYPES[kind], body)
