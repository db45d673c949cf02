"""Authentication and authorisation: turn a request's credentials into a ``Principal`` or
refuse it, and the role and department checks every protected route reuses.

Credentials are ``Authorization: Bearer kk_…`` API keys (checked first, through the in-process
``gateway.identity.keycache``: the hot path does not wait for the database) or the browser session
cookie (``gateway.identity.sessions``), whose state-changing requests must also carry a CSRF token
(``gateway.identity.csrf``). Every refusal leaves
an audit event, so IT can see probing.

Use in a route::

    @router.get("/api/departments/{department}/usage")
    async def usage(caller: Manager, department: DepartmentScope) -> ...:
        ...  # department: the one the caller may read, or None (an admin: every one)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Annotated

from fastapi import Depends, Request

from audit.chain import EventIn
from gateway.identity import apikeys, csrf
from gateway.identity.sessions import SESSION_COOKIE
from gateway.kernel.errors import (
    AccountDisabled,
    CsrfFailed,
    Forbidden,
    Unauthenticated,
    account_disabled,
)
from gateway.kernel.principal import Principal, Role
from gateway.kernel.vocab import EventType, Outcome
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


async def _refuse(
    state: AppState,
    request: Request,
    reason: str,
    refusal: Unauthenticated | AccountDisabled | None = None,
) -> Unauthenticated | AccountDisabled:
    """A credential was offered and failed: audited (throttled per client and reason)."""
    client = request.client.host if request.client else "?"
    error = refusal or _unauthenticated(request)
    repeats = state.auth_failures.admit(client, reason)
    if repeats is not None:
        detail: dict[str, object] = {"reason": reason, "path": request.url.path}
        await state.audit.append(
            EventIn(
                event_type=EventType.AUTH_FAILED,
                outcome=Outcome.REFUSED,
                status_code=error.status,
                error_code=error.code,
                detail=detail | ({"repeats": repeats} if repeats else {}),
            )
        )
    return error


def _unauthenticated(request: Request) -> Unauthenticated:
    if request.headers.get("authorization"):
        return Unauthenticated(
            "API キーが無効です (期限切れ・失効・入力誤りの可能性があります)。",
            "Invalid API key (unknown, revoked or expired).",
            headers={"www-authenticate": "Bearer"},
        )
    return Unauthenticated(
        "ログインが必要です (API キーまたは社内アカウントでのログイン)。",
        "Sign-in required (an API key or your company account).",
        headers={"www-authenticate": "Bearer"},
    )


async def audit_forbidden(
    state: AppState, request: Request, principal: Principal, reason: str, **detail: object
) -> None:
    await state.audit.append(
        EventIn(
            event_type=EventType.AUTH_FORBIDDEN,
            outcome=Outcome.REFUSED,
            status_code=403,
            error_code=Forbidden.code,
            user_email=principal.email,
            department=principal.department,
            role=principal.role.value,
            detail={"reason": reason, "path": request.url.path, "method": request.method, **detail},
        )
    )


def refusals(request: Request, principal: Principal) -> Callable[..., Awaitable[None]]:
    """``audit_forbidden`` bound to this request and caller: what a service calls to record
    a refusal without seeing the request (``gateway.identity.keys.Refuse``)."""
    return partial(audit_forbidden, app_state(request), request, principal)


async def _from_session(state: AppState, request: Request, cookie: str) -> Principal:
    if state.sso is None:
        raise await _refuse(state, request, "browser sessions are not enabled")
    resolved = await state.sso.sessions.resolve(cookie)
    if resolved.disabled:
        raise await _refuse(state, request, resolved.reason, account_disabled())
    if resolved.principal is None:
        raise await _refuse(state, request, resolved.reason)
    problem = await csrf.verify(state.settings.secret_key.get_secret_value(), request)
    if problem is not None:
        await audit_forbidden(state, request, resolved.principal, f"csrf: {problem}")
        raise CsrfFailed(
            "フォームの有効期限が切れたか、別のサイトからの送信です。ページを開き直してください。",
            "The form expired or came from another site (CSRF check); reload the page.",
        )
    return resolved.principal


async def _find_key(state: AppState, token: str) -> apikeys.Found:
    async with state.sessions() as session:
        return await apikeys.find(session=session, token=token)


async def authenticate(request: Request) -> Principal:
    """The dependency every protected router carries: API key first, then the session."""
    state = app_state(request)
    token = _bearer(request)
    if token is not None:
        try:
            principal = await state.keys.principal(token, partial(_find_key, state))
        except AccountDisabled as exc:
            raise await _refuse(state, request, "account disabled", exc) from None
        if principal is None:
            raise await _refuse(state, request, "unknown, revoked or expired key")
    elif request.headers.get("authorization"):
        raise await _refuse(state, request, "unsupported authorization scheme")
    elif cookie := request.cookies.get(SESSION_COOKIE):
        principal = await _from_session(state, request, cookie)
    else:
        # No credential at all: a browser before sign-in (sent to the sign-in page) or a
        # health poller. Nothing failed, so nothing is audited (issue 17: one event per visit).
        raise _unauthenticated(request)
    request.state.principal = principal
    return principal


Caller = Annotated[Principal, Depends(authenticate)]


def require_role(role: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency that admits ``role`` and above (staff < manager < admin)."""

    async def dependency(request: Request, principal: Caller) -> Principal:
        if not principal.role.at_least(role):
            await audit_forbidden(
                app_state(request), request, principal, "role", required=role.value
            )
            raise Forbidden(
                f"この操作には「{role.ja}」以上の権限が必要です。",
                f"This needs the {role.value} role or higher.",
            )
        return principal

    dependency.__name__ = f"require_{role.value}"
    return dependency


Staff = Annotated[Principal, Depends(require_role(Role.STAFF))]
Manager = Annotated[Principal, Depends(require_role(Role.MANAGER))]
Admin = Annotated[Principal, Depends(require_role(Role.ADMIN))]


async def authorize_department(
    request: Request, principal: Principal, requested: str | None
) -> str | None:
    """The department ``principal`` may read when asking for ``requested``.

    Admins: any (``None`` when none was asked for: every department). Managers: only their
    own (asking for nothing means their own). Staff: no department views. Refusals are audited.
    """
    if principal.role is Role.ADMIN:
        return requested or None
    if principal.role is Role.MANAGER and requested in (None, "", principal.department):
        return principal.department
    await audit_forbidden(app_state(request), request, principal, "department", requested=requested)
    raise Forbidden(
        "ほかの部署のデータは見られません (部門管理者は自部署のみ、情シス管理者は全部署)。",
        "You cannot read another department's data (managers: their own; admins: any).",
    )


async def department_scope(request: Request, principal: Manager) -> str | None:
    """``department`` from the path or query string, checked by ``authorize_department``."""
    requested = request.path_params.get("department") or request.query_params.get("department")
    return await authorize_department(request, principal, requested)


DepartmentScope = Annotated[str | None, Depends(department_scope)]


async def may_read_owned(
    request: Request, principal: Principal, *, owner_id: int, owner_department: str
) -> None:
    """Refuse (audited) unless the record is the caller's own, in the department a manager
    runs, or the caller is an admin. For records addressed by id (keys, chats, …)."""
    if owner_id == principal.user_id or principal.role is Role.ADMIN:
        return
    if principal.role is Role.MANAGER and owner_department == principal.department:
        return
    await audit_forbidden(
        app_state(request),
        request,
        principal,
        "not owner",
        owner_department=owner_department,
    )
    raise Forbidden("ほかの人のデータは見られません。", "You cannot access another person's data.")
