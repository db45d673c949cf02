"""Errors as pages: a refused browser request gets HTML (or the sign-in page), not JSON."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from gateway.kernel.errors import BadRequest, KakehashiError, NotFound, TooLarge, Unauthenticated
from web.templating import render

_TITLES = {
    400: ("入力に誤りがあります", "Bad request"),
    401: ("ログインが必要です", "Sign-in required"),
    403: ("権限がありません", "Not allowed"),
    404: ("見つかりません", "Not found"),
    405: ("この操作はできません", "Method not allowed"),
}


class MethodNotAllowed(BadRequest):
    status = 405
    code = "method_not_allowed"


def from_status(status: int) -> KakehashiError:
    """The error tree's version of a routing refusal (an unknown URL, a wrong method)."""
    if status == 405:
        return MethodNotAllowed(
            "この URL ではその操作はできません。", "This URL does not allow that method."
        )
    if status == 404:
        return NotFound(
            "ページが見つかりません。URL を確かめるか、メニューから開いてください。",
            "No such page; check the URL or use the menu.",
        )
    if status == 413:
        return TooLarge(
            "リクエストが大きすぎます。内容を分けて送ってください。",
            "The request is too large; please send it in smaller parts.",
        )
    return KakehashiError("エラーが発生しました。", f"HTTP {status}")


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
