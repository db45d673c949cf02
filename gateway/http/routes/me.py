"""``GET /api/me``: who the gateway thinks the caller is (any role, session or API key)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from gateway.auth import Caller, authenticate

router = APIRouter(prefix="/api", tags=["me"], dependencies=[Depends(authenticate)])


class Me(BaseModel):
    user_id: int
    email: str
    department: str
    role: str
    auth_method: str
    key_id: int | None


@router.get("/me")
async def me(caller: Caller) -> Me:
    return Me(
        user_id=caller.user_id,
        email=caller.email,
        department=caller.department,
        role=caller.role.value,
        auth_method=caller.auth_method,
        key_id=caller.key_id,
    )
