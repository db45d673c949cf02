"""The department manager's pages: ``/dashboard`` (this month at a glance) and
``/reports/monthly`` (the printable trial report for the monthly review).

Numbers come from ``audit.kpi`` through the same functions as ``/api/kpi``; the charts are SVG
drawn here (``web.charts``). Managers see their own department, IT admins any (or all).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from audit.kpi import Kpis
from audit.periods import period_of
from audit.reports import department_kpis, export_range, weekly_kpis
from gateway.auth import DepartmentScope, app_state, authenticate
from gateway.kernel.errors import BadRequest
from gateway.state import AppState
from web import charts
from web.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False, dependencies=[Depends(authenticate)])

Month = Annotated[str | None, Query(max_length=7)]


def _label_ja(label: str) -> str:
    """Policy labels may read "日本語 / English"; charts show the Japanese half."""
    return label.split(" / ", 1)[0].strip() or label


def _departments(state: AppState) -> list[str]:
    return sorted(state.policies.current.by_department)


def _charts(k: Kpis, weeks: list[Kpis]) -> dict[str, Any]:
    target = k.trial.target_hours_per_week if k.trial else None
    return {
        "hours_chart": charts.columns(
            "週ごとの削減時間 (週の合計、時間)",
            [(w.period.span, w.hours_saved) for w in weeks],
            target=target,
            unit="時間",
        ),
        "use_case_chart": charts.hbars(
            "用途別の回答数", [(_label_ja(u.label), float(u.answers)) for u in k.use_cases], unit="件"
        ),
        "users_chart": charts.hbars(
            "利用者",
            [("アクティブ", float(k.active_users))]
            + ([("トライアル参加", float(k.trial.trial_users)), ("対象者", float(k.trial.eligible_users))] if k.trial else []),
            unit="人",
        ),
    }  # fmt: skip


def _month(value: str | None, state: AppState) -> date:
    if not value:
        return state.kpi_source().today().replace(day=1)
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value):
        raise BadRequest(
            "month は YYYY-MM の形式で指定してください (例: 2026-11)。",
            "month must be YYYY-MM (for example 2026-11).",
        )
    return date(int(value[:4]), int(value[5:]), 1)


@router.get("/dashboard")
async def dashboard(request: Request, department: DepartmentScope) -> Response:
    state = app_state(request)
    source = state.kpi_source()
    k = await department_kpis(source=source, department=department, kind="month", day=None)
    month = k.period
    # The weeks of the CSV the page links to (the trial's when the department runs one, else the
    # month's), clipped alike: the per-week card is the last of its rows (one source).
    start, end = export_range(source=source, department=department, start=None, end=None)
    weeks = await weekly_kpis(source=source, department=department, start=start, end=end)
    context = {
        "k": k,
        "week": weeks[-1] if weeks else None,
        "departments": _departments(state),
        "month": month.start.strftime("%Y-%m"),
    }
    return render(request, "dashboard.html", context | _charts(k, weeks))


@router.get("/reports/monthly")
async def monthly_report(
    request: Request, department: DepartmentScope, month: Month = None
) -> Response:
    state = app_state(request)
    first = _month(month, state)
    source = state.kpi_source()
    k = await department_kpis(source=source, department=department, kind="month", day=first)
    period = period_of("month", first)
    weeks = await weekly_kpis(
        source=source, department=department, start=period.start, end=period.end
    )
    # The export of exactly this table: the same weeks, clipped to the month.
    query = {"from": period.start, "to": period.end}
    export = urlencode(query | ({"department": department} if department else {}))
    context = {
        "k": k,
        "weeks": weeks,
        "month": first.strftime("%Y-%m"),
        "today": source.today(),
        "export_query": export,
    }
    return render(request, "report.html", context | _charts(k, weeks))
