"""Authentication: turn a request's credentials into a ``Principal`` or refuse it.

API keys arrive as ``Authorization: Bearer kk_…``. Every refusal leaves an audit event, so IT
can see probing. (Browser sessions join here with the SSO issue.)
"""

from __future__ import annotations

from fastapi import Request

from audit.chain import EventIn
from gateway.apikeys import principal_for
from gateway.errors import Unauthenticated
from gateway.principal import Principal
from gateway.state import AppState


def app_state(request: Request) -> AppState:
    state: AppState = request.app.state.kakehashi
    return state


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def _refuse(state: AppState, request: Request, reason: str) -> Unauthenticated:
    await state.audit.append(
        EventIn(
            event_type="auth.failed",
            outcome="refused",
            status_code=401,
            error_code="invalid_api_key",
            detail={"reason": reason, "path": request.url.path},
        )
    )
    return Unauthenticated(
        "API キーが無効です (期限切れ・失効・入力誤りの可能性があります)。",
        "Invalid API key (unknown, revoked or expired).",
        headers={"www-authenticate": "Bearer"},
    )


async def authenticate(request: Request) -> Principal:
    """The dependency every protected router carries."""
    state = app_state(request)
    token = _bearer(request)
    if token is None:
        raise await _refuse(state, request, "missing credentials")
    async with state.sessions() as session:
        principal = await principal_for(session=session, token=token)
    if principal is None:
        raise await _refuse(state, request, "unknown, revoked or expired key")
    return principal
