"""The KPI API (``/api/kpi``) and its exports: department managers read their own department,
IT admins any department or all of them; staff are refused (audited, by ``gateway.auth``).
The service is ``audit.reports``, shared with the pages (``web.report``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from audit import reports
from audit.kpi import Kpis
from audit.periods import PeriodKind
from gateway.auth import DepartmentScope, app_state, authenticate

router = APIRouter(prefix="/api", tags=["kpi"], dependencies=[Depends(authenticate)])

Day = Annotated[date | None, Query(alias="date")]
Kind = Annotated[PeriodKind, Query()]
From = Annotated[date | None, Query(alias="from")]
To = Annotated[date | None, Query(alias="to")]


# ``DepartmentScope`` admits managers and admins only (staff are refused, audited).
@router.get("/kpi")
async def get_kpi(
    request: Request,
    department: DepartmentScope,
    period: Kind = "month",
    day: Day = None,
) -> Kpis:
    source = app_state(request).kpi_source()
    return await reports.department_kpis(source=source, department=department, kind=period, day=day)


async def _export(
    request: Request,
    department: str | None,
    start: date | None,
    end: date | None,
    kind: reports.ExportKind,
) -> Response:
    file = await reports.export_kpis(
        source=app_state(request).kpi_source(),
        department=department,
        start=start,
        end=end,
        kind=kind,
    )
    disposition = f'attachment; filename="{file.name}"'
    return Response(
        file.body, media_type=file.media_type, headers={"content-disposition": disposition}
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
