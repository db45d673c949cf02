"""The audit log for IT admins: ``GET /api/audit`` (JSON, paged) and ``GET /api/audit.csv``.

Admins only (managers read their department through the KPIs, not the raw log). Filters are
local dates (the configured time zone), department, user, event type and outcome. The service
is ``audit.search``, shared with the admin page (``web.audit_page``).
"""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from audit import search
from gateway.auth import app_state, authenticate, require_role
from gateway.kernel.principal import Role

router = APIRouter(
    prefix="/api",
    tags=["audit"],
    dependencies=[Depends(authenticate), Depends(require_role(Role.ADMIN))],
)

_CSV_LIMIT = 100_000

Filters = Annotated[search.AuditQuery, Query()]


@router.get("/audit")
async def get_audit(
    request: Request,
    query: Filters,
    before_seq: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    state = app_state(request)
    rows = await search.list_events(
        sessions=state.sessions,
        filters=query.filters(),
        tz=ZoneInfo(state.settings.timezone),
        before_seq=before_seq,
        limit=limit,
    )
    following = rows[-1]["seq"] if len(rows) == limit else None
    return {"events": rows, "next_before_seq": following}


@router.get("/audit.csv")
async def get_audit_csv(request: Request, query: Filters) -> Response:
    state = app_state(request)
    body = await search.export_csv(
        sessions=state.sessions,
        filters=query.filters(),
        tz=ZoneInfo(state.settings.timezone),
        limit=_CSV_LIMIT,
    )
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="kakehashi-audit.csv"'},
    )
