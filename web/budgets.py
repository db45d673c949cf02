"""Budget pages: ``/budgets`` (use against limits today and this month, a burn-down per
department, the month-end forecast; managers their own department, IT admins any or all) and
``/admin/overview`` (IT's one page: today, cost against budgets, refusals and redactions,
the audit chain, the upstream models).

Numbers come from the services behind ``/api/budgets(.csv)`` and ``/api/admin/overview``
(``audit.budgets``, ``audit.overview``), so the page and the export cannot disagree.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from audit import budgets, overview
from audit.budgets import BudgetReport, Burndown
from gateway.auth import DepartmentScope, app_state, authenticate, require_role
from gateway.kernel.principal import Role
from gateway.state import AppState
from web import charts
from web.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False, dependencies=[Depends(authenticate)])


def _known(state: AppState) -> list[str]:
    return sorted(state.policies.current.by_department)


def _chart(b: Burndown) -> charts.Line:
    """Yen when the department has a yen limit (or no limit at all), else tokens."""
    if b.limit_yen is not None or b.limit_tokens is None:
        return charts.burndown(
            f"{b.department} の今月の予算 (円)",
            cumulative=b.cumulative_yen,
            days=b.days_in_month,
            limit=b.limit_yen,
            forecast=b.forecast.yen,
            unit="円",
        )
    return charts.burndown(
        f"{b.department} の今月の予算 (トークン)",
        cumulative=[float(t) for t in b.cumulative_tokens],
        days=b.days_in_month,
        limit=float(b.limit_tokens),
        forecast=float(b.forecast.tokens),
        unit="トークン",
    )


def _context(report: BudgetReport, state: AppState) -> dict[str, object]:
    query = f"?{urlencode({'department': report.department})}" if report.department else ""
    return {
        "r": report,
        "charts": [_chart(b) for b in report.burndowns],
        "departments": _known(state),
        "csv_url": f"/api/budgets.csv{query}",
    }


@router.get("/budgets")
async def budgets_page(request: Request, department: DepartmentScope) -> Response:
    state = app_state(request)
    report = await budgets.usage(
        source=state.kpi_source(), department=department, known=_known(state)
    )
    return render(request, "budgets.html", _context(report, state))


@router.get("/admin/overview", dependencies=[Depends(require_role(Role.ADMIN))])
async def overview_page(request: Request) -> Response:
    state = app_state(request)
    found = await overview.overview(
        source=state.kpi_source(),
        models=[m.alias for m in state.settings.models],
        known=_known(state),
        writer_failing=state.audit.failing,
    )
    return render(request, "overview.html", {"o": found, "csv_url": "/api/budgets.csv"})
