"""Sign-in and sign-out: the public router (login page, OIDC redirect and callback, logout).

The only routes besides health and static files that run without a principal. Each step
that refuses leaves an audit event (``auth.login_failed``); success leaves ``auth.login`` and
``auth.logout``. After login the browser goes back only to a same-origin relative path.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from audit.chain import EventIn
from gateway.auth import app_state
from gateway.identity import csrf, oidc, people
from gateway.identity.sessions import SESSION_COOKIE
from gateway.kernel.errors import AccountDisabled, CsrfFailed, LoginFailed, NotProvisioned
from gateway.kernel.principal import Principal
from gateway.kernel.vocab import EventType, Outcome
from gateway.state import AppState, Sso
from web.templating import render

router = APIRouter(tags=["auth"], include_in_schema=False)

_UNMAPPED_REASONS = {
    "no_email": ("IdP からメールアドレスが届きませんでした", "the IdP sent no e-mail address"),
    "email_unverified": ("メールアドレスが未確認です", "the e-mail address is not verified"),
    "domain_not_allowed": (
        "このメールドメインは許可されていません",
        "this e-mail domain is not allowed",
    ),
    "unmapped": (
        "所属グループに対応する部署の設定がありません",
        "no department is mapped for your groups",
    ),
}


def safe_next(value: str | None) -> str:
    """A same-origin relative path to return to after login, else ``/`` (no open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//"):
        return "/"
    if any(c in value for c in "\\\r\n\t") or not value.isprintable():
        return "/"  # browsers read "/\\evil" as "//evil"
    parts = urlsplit(value)
    return "/" if parts.scheme or parts.netloc else value


def public_base(state: AppState, request: Request) -> str:
    configured = state.settings.server.public_url
    return (configured or f"{request.url.scheme}://{request.url.netloc}").rstrip("/")


def _sso(state: AppState) -> tuple[Sso, oidc.OidcClient]:
    if state.sso is None or state.sso.oidc is None:
        raise LoginFailed(
            "シングルサインオンが設定されていません。", "Single sign-on is not configured."
        )
    return state.sso, state.sso.oidc


async def _audit(state: AppState, event_type: str, outcome: str, **fields: Any) -> None:
    await state.audit.append(EventIn(event_type=event_type, outcome=outcome, **fields))


async def _failed(state: AppState, reason: str, status: int = 401, **detail: Any) -> LoginFailed:
    await _audit(
        state,
        EventType.AUTH_LOGIN_FAILED,
        Outcome.REFUSED,
        status_code=status,
        error_code=LoginFailed.code,
        user_email=detail.pop("email", None),
        detail={"reason": reason, **detail},
    )
    return LoginFailed(
        f"ログインできませんでした。もう一度最初からログインしてください。 (理由: {reason})",
        f"Sign-in failed; please start again. (reason: {reason})",
    )


@router.get("/login")
async def login_page(request: Request, next: str | None = None) -> Response:
    state = app_state(request)
    sso_enabled = state.sso is not None and state.sso.oidc is not None
    return render(
        request,
        "login.html",
        {
            "next": safe_next(next),
            "sso_enabled": sso_enabled,
            "dev_idp": state.settings.oidc.dev_idp,
        },
    )


@router.get("/auth/login")
async def login_start(
    request: Request, next: str | None = None, login_hint: str | None = None
) -> Response:
    state = app_state(request)
    sso, client = _sso(state)
    try:
        start = await client.begin(
            redirect_uri=public_base(state, request) + "/auth/callback", login_hint=login_hint
        )
    except oidc.OidcRefused as exc:
        raise await _failed(state, exc.reason, status=503, detail=exc.detail) from exc
    response = RedirectResponse(start.url, status_code=302)
    tx = {"state": start.state, "nonce": start.nonce, "verifier": start.code_verifier}
    sso.sessions.set_login(response, request, {**tx, "next": safe_next(next)})
    return response


@router.get("/auth/callback")
async def login_callback(request: Request) -> Response:
    state = app_state(request)
    sso, client = _sso(state)
    identity, next_path = await _verified_identity(state, sso, client, request)
    settings = state.settings.oidc
    problem = oidc.admission_problem(identity.claims, settings)
    assignment = None if problem else oidc.assign(identity.claims, settings)
    if assignment is None:
        return await _unmapped(state, sso, request, identity, problem or "unmapped")
    email = oidc.email_of(identity.claims, settings) or ""
    try:
        async with state.sessions.begin() as session:
            done = await people.sign_in(
                session=session,
                email=email,
                department=assignment.department,
                role=assignment.role,
                display_name=identity.name,
            )
            cookie = await sso.sessions.start(
                session=session, user=done.user, id_token=identity.id_token
            )
    except AccountDisabled as exc:
        await _failed(state, "account_disabled", status=403, email=email)
        raise exc from None
    # The groups moved the person or changed their role: their existing keys follow.
    await people.announce_change(
        audit=state.audit.append, cache=state.keys, done=done, by="idp", via="sign-in"
    )
    await _audit(
        state,
        EventType.AUTH_LOGIN,
        Outcome.OK,
        user_email=email,
        department=assignment.department,
        role=assignment.role.value,
        detail={"issuer": client.issuer, "subject": identity.subject},
    )
    response = RedirectResponse(next_path, status_code=303)
    sso.sessions.clear_login(response, request)
    sso.sessions.set_cookie(response, request, cookie)
    return response


async def _verified_identity(
    state: AppState, sso: Sso, client: oidc.OidcClient, request: Request
) -> tuple[oidc.Identity, str]:
    """state (bound to this browser, used once), then code + PKCE exchange and ID token."""
    params = request.query_params
    if params.get("error"):
        raise await _failed(state, "idp_error", error=params.get("error"))
    tx = sso.sessions.load_login(request)
    if tx is None:
        raise await _failed(state, "no_login_in_progress")
    if not params.get("state") or params.get("state") != tx.get("state"):
        raise await _failed(state, "state_mismatch")
    if not await sso.once.consume("state:" + tx["state"]):
        raise await _failed(state, "state_replayed")
    try:
        identity = await client.finish(
            code=params.get("code", ""),
            redirect_uri=public_base(state, request) + "/auth/callback",
            nonce=str(tx["nonce"]),
            code_verifier=str(tx["verifier"]),
        )
    except oidc.OidcRefused as exc:
        raise await _failed(state, exc.reason, detail=exc.detail) from exc
    return identity, safe_next(tx.get("next"))


async def _unmapped(
    state: AppState, sso: Sso, request: Request, identity: oidc.Identity, reason: str
) -> Response:
    groups = identity.claims.get(state.settings.oidc.groups_claim)
    groups = [str(g) for g in groups][:20] if isinstance(groups, list) else []
    email = oidc.email_of(identity.claims, state.settings.oidc) or identity.email
    await _audit(
        state,
        EventType.AUTH_LOGIN_FAILED,
        Outcome.REFUSED,
        status_code=403,
        error_code=NotProvisioned.code,
        user_email=email,
        detail={"reason": reason, "subject": identity.subject, "groups": groups},
    )
    ja, en = _UNMAPPED_REASONS[reason]
    response = render(
        request,
        "unmapped.html",
        {"email": email, "groups": groups, "reason_ja": ja, "reason_en": en},
        status_code=403,
    )
    sso.sessions.clear_login(response, request)
    return response


@router.post("/auth/logout")
async def logout(request: Request) -> Response:
    """Local logout, then RP-initiated logout at the IdP when it offers one."""
    state = app_state(request)
    cookie = request.cookies.get(SESSION_COOKIE)
    base = public_base(state, request)
    if state.sso is None or not cookie:
        return RedirectResponse("/login", status_code=303)
    problem = await csrf.verify(state.settings.secret_key.get_secret_value(), request)
    if problem is not None:
        raise CsrfFailed(
            "ログアウトの送信元を確認できませんでした。ページを開き直してください。",
            f"Logout refused ({problem}); reload the page.",
        )
    ended = await state.sso.sessions.end(cookie)
    target = base + "/auth/logged-out"
    if ended is not None:
        await _audit_logout(state, ended.principal)
        if state.sso.oidc is not None:
            target = (
                await state.sso.oidc.logout_url(
                    id_token_hint=ended.id_token, post_logout_redirect_uri=target
                )
                or target
            )
    response = RedirectResponse(target, status_code=303)
    state.sso.sessions.clear_cookie(response, request)
    return response


async def _audit_logout(state: AppState, principal: Principal) -> None:
    await _audit(
        state,
        EventType.AUTH_LOGOUT,
        Outcome.OK,
        user_email=principal.email,
        department=principal.department,
        role=principal.role.value,
    )


@router.get("/auth/logged-out")
async def logged_out(request: Request) -> Response:
    return render(request, "logged_out.html")
