"""Errors as pages: a refused browser request gets HTML (or the sign-in page), not JSON."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from gateway.errors import KakehashiError, Unauthenticated
from web.templating import render

_TITLES = {
    400: ("入力に誤りがあります", "Bad request"),
    401: ("ログインが必要です", "Sign-in required"),
    403: ("権限がありません", "Not allowed"),
    404: ("見つかりません", "Not found"),
}
_API_PREFIXES = ("/v1/", "/api/", "/dev-idp/token", "/dev-idp/userinfo")


def wants_html(request: Request) -> bool:
    if request.url.path.startswith(_API_PREFIXES):
        return False
    return "text/html" in request.headers.get("accept", "")


def render_error(request: Request, exc: KakehashiError) -> Response:
    if (
        isinstance(exc, Unauthenticated)
        and type(exc) is Unauthenticated
        and request.method == "GET"
    ):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    title_ja, title_en = _TITLES.get(exc.status, ("エラーが発生しました", "Something went wrong"))
    context = {
        "status": exc.status,
        "code": exc.code,
        "title_ja": title_ja,
        "title_en": title_en,
        "message_ja": exc.ja,
        "message_en": exc.en,
    }
    return render(request, "error.html", context, status_code=exc.status)
