"""Server-rendered pages: the Jinja2 environment, the page shell's context, security headers.

Every page renders through ``render``: it adds the signed-in principal (set by
``gateway.auth.authenticate``), the CSRF token for forms, and the navigation entries the
principal's role may see. To add a menu entry for a new page, append to ``NAV``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from gateway.identity import csrf
from gateway.kernel.principal import Principal, Role, role_ja
from redaction.entities import LABELS_JA

_ENTITY_LABELS = {kind.value: label for kind, label in LABELS_JA.items()}

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "frame-ancestors 'none'"
    ),
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}


@dataclass(frozen=True)
class NavItem:
    href: str
    label: str
    role: Role = Role.STAFF


NAV: list[NavItem] = [
    NavItem("/", "ホーム"),
    NavItem("/chat", "チャット"),
    NavItem("/history", "履歴"),
    NavItem("/keys", "API キー"),
    NavItem("/templates", "テンプレート", Role.MANAGER),
    NavItem("/dashboard", "効果測定", Role.MANAGER),
    NavItem("/budgets", "予算", Role.MANAGER),
    NavItem("/admin/overview", "概要", Role.ADMIN),
    NavItem("/trials", "トライアル", Role.MANAGER),
    NavItem("/admin/audit", "監査ログ", Role.ADMIN),
    NavItem("/admin/policies", "ポリシー", Role.ADMIN),
    NavItem("/admin/people", "利用者", Role.ADMIN),
]


# Why a request ended without an answer (``ErrorCode`` and the error tree's codes), for pages.
REFUSALS_JA = {
    "quota_exceeded": "利用上限の超過",
    "content_blocked": "送信禁止の情報 (マイナンバー等)",
    "model_not_allowed": "許可されていないモデル",
    "model_not_found": "存在しないモデル",
    "use_case_not_allowed": "許可されていない用途",
    "invalid_request": "リクエストの誤り",
    "prompt_too_large": "入力が長すぎる",
    "service_unavailable": "一時的に利用不可",
    "upstream_error": "プロバイダのエラー",
    "upstream_timeout": "プロバイダの応答なし",
    "client_disconnected": "途中で切断",
    "internal_error": "内部エラー",
}


def refusal_ja(code: str) -> str:
    """``quota_exceeded`` -> 利用上限の超過; an unknown code is shown as it is."""
    return REFUSALS_JA.get(code, code)


def entity_ja(kind: str) -> str:
    """``COMPANY`` -> 会社名."""
    return _ENTITY_LABELS.get(kind, kind)


def local_time(value: datetime | str | None, tz: str, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC time from the database as the deployment's local time (Japan by default)."""
    if value is None or value == "":
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(tz)).strftime(fmt)


def tokens(value: float | None) -> str:
    """A token count as pages print it (the CSV has the same number without separators)."""
    return "—" if value is None else f"{int(value):,}"


def yen(value: float | None) -> str:
    """Yen to the sen, as the CSV has them (without separators)."""
    return "—" if value is None else f"{value:,.2f}"


@cache
def templates() -> Jinja2Templates:
    found = Jinja2Templates(directory=TEMPLATES)
    found.env.filters.update(
        role_ja=role_ja, entity_ja=entity_ja, refusal_ja=refusal_ja, tokens=tokens, yen=yen
    )
    return found


def page_context(request: Request) -> dict[str, Any]:
    principal: Principal | None = getattr(request.state, "principal", None)
    token = ""
    if principal is not None and principal.auth_method == "session":
        secret = request.app.state.kakehashi.settings.secret_key.get_secret_value()
        token = csrf.request_token(secret, request)
    nav = [n for n in NAV if principal is not None and principal.role.at_least(n.role)]
    state = getattr(request.app.state, "kakehashi", None)
    tz = state.settings.timezone if state is not None else "Asia/Tokyo"

    def local(value: datetime | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return local_time(value, tz, fmt)

    return {
        "principal": principal,
        "csrf_token": token,
        "nav": nav,
        "path": request.url.path,
        "local": local,
    }


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    response = templates().TemplateResponse(
        request, name, {**page_context(request), **(context or {})}, status_code=status_code
    )
    response.headers.update(_HEADERS)
    return response
