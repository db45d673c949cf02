"""Server-rendered pages: the Jinja2 environment, the page shell's context, security headers.

Every page renders through ``render``: it adds the signed-in principal (set by
``gateway.auth.authenticate``), the CSRF token for forms, and the navigation entries the
principal's role may see. To add a menu entry for a new page, append to ``NAV``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from gateway import csrf
from gateway.principal import Principal, Role

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
    NavItem("/dashboard", "効果測定", Role.MANAGER),
    NavItem("/admin/audit", "監査ログ", Role.ADMIN),
]


@cache
def templates() -> Jinja2Templates:
    return Jinja2Templates(directory=TEMPLATES)


def page_context(request: Request) -> dict[str, Any]:
    principal: Principal | None = getattr(request.state, "principal", None)
    token = ""
    if principal is not None and principal.auth_method == "session":
        secret = request.app.state.kakehashi.settings.secret_key.get_secret_value()
        token = csrf.request_token(secret, request)
    nav = [n for n in NAV if principal is not None and principal.role.at_least(n.role)]
    return {"principal": principal, "csrf_token": token, "nav": nav, "path": request.url.path}


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    response = templates().TemplateResponse(
        request, name, {**page_context(request), **(context or {})}, status_code=status_code
    )
    response.headers.update(_HEADERS)
    return response
