"""IT's company view of every trial (``/trials/company``, printable A4) and its exports
(``/trials/company.xlsx`` and ``.csv``): admins only. Thin: ``gateway.trials.company`` builds
the one table all three show."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from gateway.auth import Admin, app_state, authenticate
from gateway.kernel.errors import NotFound
from gateway.trials import company, service
from web.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False, dependencies=[Depends(authenticate)])

_MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


async def _rows(request: Request) -> list[company.CompanyRow]:
    state = app_state(request)
    trials = await service.listing(sessions=state.sessions, department=None)
    return await company.company(source=state.kpi_source(), trials=trials)


@router.get("/trials/company")
async def company_page(request: Request, caller: Admin) -> Response:
    del caller  # admins only: the dependency checked and audited
    rows = await _rows(request)
    today = app_state(request).kpi_source().today()
    context = {"rows": rows, "header": company.HEADER, "today": today}
    return render(request, "trial_company.html", context)


@router.get("/trials/company.{kind}")
async def company_export(request: Request, caller: Admin, kind: str) -> Response:
    del caller
    if kind not in _MEDIA:
        raise NotFound("形式は .xlsx か .csv です。", "The format is .xlsx or .csv.")
    body = await company.export(rows=await _rows(request), kind=kind)
    today = app_state(request).kpi_source().today().isoformat()
    return Response(
        body,
        media_type=_MEDIA[kind],
        headers={"content-disposition": f'attachment; filename="kakehashi-trials-{today}.{kind}"'},
    )
