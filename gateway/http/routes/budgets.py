"""Budgets and IT's overview as JSON and CSV: ``/api/budgets`` (managers their own
department, admins any or all), ``/api/budgets.csv`` (the same numbers), and
``/api/admin/overview`` (admins). The services are ``audit.budgets`` and ``audit.overview``,
shared with the pages (``web.budgets``)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from audit import budgets, overview
from gateway.auth import DepartmentScope, app_state, authenticate, require_role
from gateway.kernel.principal import Role
from gateway.state import AppState

router = APIRouter(prefix="/api", tags=["budgets"], dependencies=[Depends(authenticate)])


def known(state: AppState) -> list[str]:
    return sorted(state.policies.current.by_department)


@router.get("/budgets")
async def get_budgets(request: Request, department: DepartmentScope) -> budgets.BudgetReport:
    state = app_state(request)
    return await budgets.usage(source=state.kpi_source(), department=department, known=known(state))


@router.get("/budgets.csv")
async def get_budgets_csv(request: Request, department: DepartmentScope) -> Response:
    state = app_state(request)
    report = await budgets.usage(
        source=state.kpi_source(), department=department, known=known(state)
    )
    name = f"kakehashi-budgets-{report.month_start:%Y-%m}.csv"
    return Response(
        budgets.to_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )


@router.get("/admin/overview", dependencies=[Depends(require_role(Role.ADMIN))])
async def get_overview(request: Request) -> overview.Overview:
    state = app_state(request)
    return await overview.overview(
        source=state.kpi_source(),
        models=[m.alias for m in state.settings.models],
        known=known(state),
        writer_failing=state.audit.failing,
    )
