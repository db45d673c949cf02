"""The KPI API (``/api/kpi``) and its exports: department managers read their own department,
IT admins any department or all of them; staff are refused (audited, by ``gateway.auth``)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from audit import export, kpi
from audit.kpi import Kpis, PeriodKind
from gateway.auth import DepartmentScope, app_state, authenticate
from gateway.kernel.errors import BadRequest
from gateway.state import AppState

router = APIRouter(prefix="/api", tags=["kpi"], dependencies=[Depends(authenticate)])

Day = Annotated[date | None, Query(alias="date")]
Kind = Annotated[PeriodKind, Query()]


def today(state: AppState) -> date:
    return datetime.now(ZoneInfo(state.settings.timezone)).date()


async def department_kpis(
    *, state: AppState, department: str | None, kind: PeriodKind, day: date | None
) -> Kpis:
    """Shared with the dashboard and report pages (``web``)."""
    now = today(state)
    async with state.sessions() as session:
        return await kpi.compute(
            session=session,
            policies=state.policies,
            department=department,
            period=kpi.period_of(kind, day or now),
            tz=ZoneInfo(state.settings.timezone),
            as_of=now,
        )


async def weekly_kpis(
    *, state: AppState, department: str | None, start: date, end: date
) -> list[Kpis]:
    async with state.sessions() as session:
        return await kpi.weekly(
            session=session,
            policies=state.policies,
            department=department,
            start=start,
            end=end,
            tz=ZoneInfo(state.settings.timezone),
            as_of=today(state),
        )


def export_range(
    state: AppState, department: str | None, start: date | None, end: date | None
) -> tuple[date, date]:
    """The trial when the department runs one, else this month; ``start``/``end`` override."""
    policy = state.policies.for_department(department) if department else None
    if policy is not None and policy.trial is not None:
        lo, hi = policy.trial.start, policy.trial.end + timedelta(days=1)
    else:
        month = kpi.period_of("month", today(state))
        lo, hi = month.start, month.end
    lo, hi = start or lo, end or hi
    if hi <= lo or (hi - lo).days > 400:
        raise BadRequest(
            "期間が正しくありません (from < to、400 日以内)。",
            "The range is not valid (from before to, at most 400 days).",
        )
    return lo, hi


# ``DepartmentScope`` admits managers and admins only (staff are refused, audited).
@router.get("/kpi")
async def get_kpi(
    request: Request,
    department: DepartmentScope,
    period: Kind = "month",
    day: Day = None,
) -> Kpis:
    state = app_state(request)
    return await department_kpis(state=state, department=department, kind=period, day=day)


From = Annotated[date | None, Query(alias="from")]
To = Annotated[date | None, Query(alias="to")]


_FORMATS = {
    "csv": (export.to_csv, "text/csv; charset=utf-8"),
    "xlsx": (
        export.to_xlsx,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
}


async def _export(
    request: Request, department: str | None, start: date | None, end: date | None, kind: str
) -> Response:
    state = app_state(request)
    lo, hi = export_range(state, department, start, end)
    series = await weekly_kpis(state=state, department=department, start=lo, end=hi)
    render, media_type = _FORMATS[kind]
    # ASCII file name: department names go in the file, not in a header they would mangle.
    name = f"kakehashi-kpi-{lo.isoformat()}.{kind}"
    return Response(
        render(series),
        media_type=media_type,
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


@router.get("/kpi.csv")
async def get_kpi_csv(
    request: Request, department: DepartmentScope, start: From = None, end: To = None
) -> Response:
    return await _export(request, department, start, end, "csv")


@router.get("/kpi.xlsx")
async def get_kpi_xlsx(
    request: Request, department: DepartmentScope, start: From = None, end: To = None
) -> Response:
    return await _export(request, department, start, end, "xlsx")
