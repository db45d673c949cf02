"""The audit log for IT admins: ``GET /api/audit`` (JSON, paged) and ``GET /api/audit.csv``.

Admins only (managers read their department through the KPIs, not the raw log). Filters are
local dates (the configured time zone), department, user, event type and outcome.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from audit import search
from gateway.auth import app_state, authenticate, require_role
from gateway.kernel.principal import Role

router = APIRouter(
    prefix="/api",
    tags=["audit"],
    dependencies=[Depends(authenticate), Depends(require_role(Role.ADMIN))],
)

_CSV_LIMIT = 100_000


class AuditQuery(BaseModel):
    start: date | None = Field(default=None, alias="from")
    end: date | None = Field(default=None, alias="to")
    department: str | None = Field(default=None, max_length=100)
    user: str | None = Field(default=None, max_length=320)
    event_type: str | None = Field(default=None, max_length=50)
    outcome: str | None = Field(default=None, max_length=30)

    def filters(self) -> search.Filters:
        return search.Filters(
            self.start, self.end, self.department, self.user, self.event_type, self.outcome
        )


Filters = Annotated[AuditQuery, Query()]


async def list_events(
    request: Request, filters: search.Filters, *, before_seq: int | None, limit: int
) -> list[dict[str, Any]]:
    """Shared with the admin audit page (``web``)."""
    state = app_state(request)
    async with state.sessions() as session:
        return await search.events(
            session=session,
            filters=filters,
            tz=ZoneInfo(state.settings.timezone),
            before_seq=before_seq,
            limit=limit,
        )


@router.get("/audit")
async def get_audit(
    request: Request,
    query: Filters,
    before_seq: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    rows = await list_events(request, query.filters(), before_seq=before_seq, limit=limit)
    following = rows[-1]["seq"] if len(rows) == limit else None
    return {"events": rows, "next_before_seq": following}


@router.get("/audit.csv")
async def get_audit_csv(request: Request, query: Filters) -> Response:
    rows = await list_events(request, query.filters(), before_seq=None, limit=_CSV_LIMIT)
    return Response(
        search.to_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": 'attachment; filename="kakehashi-audit.csv"'},
    )
