"""``GET /api/quota``: the caller's quota status and their department's; admins see every
department (the role comes from the principal: API keys and sessions carry it)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from gateway.auth import Caller, app_state, authenticate
from policies.report import QuotaReport, report

router = APIRouter(prefix="/api", tags=["quota"], dependencies=[Depends(authenticate)])


@router.get("/quota")
async def quota(request: Request, caller: Caller) -> QuotaReport:
    state = app_state(request)
    await state.refresh_policies()
    return await report(ledger=state.quota, policies=state.policies.current, principal=caller)
