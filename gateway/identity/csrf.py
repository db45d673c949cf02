"""CSRF tokens for cookie-authenticated requests that change state.

The token is an HMAC of the session cookie under ``secret_key``: nothing to store, it changes
with every sign-in, and a page from another site can neither read nor forge it. Forms send it
as the hidden field ``csrf_token``; scripts send the ``X-CSRF-Token`` header (the page shell
puts the value in ``<meta name="csrf-token">``). API-key requests carry no ambient credential
and need no token. Also refuses a cross-site ``Origin`` on those requests.
"""

from __future__ import annotations

import hashlib
import hmac

from starlette.requests import Request

from gateway.identity.sessions import SESSION_COOKIE

HEADER = "x-csrf-token"
FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def token_for(secret_key: str, session_cookie: str) -> str:
    mac = hmac.new(secret_key.encode(), b"csrf\x00" + session_cookie.encode(), hashlib.sha256)
    return mac.hexdigest()


def request_token(secret_key: str, request: Request) -> str:
    """The token for this browser's session, or "" when it has none."""
    cookie = request.cookies.get(SESSION_COOKIE)
    return token_for(secret_key, cookie) if cookie else ""


def reads_form(request: Request) -> bool:
    """Whether ``verify`` may look for the token in the body: it then parses the form, which
    consumes the body. A route that reads its raw body refuses such a request before it
    authenticates (``gateway.http.bodies.refuse_form``)."""
    return request.headers.get("content-type", "").startswith(_FORM_TYPES)


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        # Browsers send Origin on cross-site POSTs; its absence alone proves nothing.
        return origin is None
    return origin.rstrip("/") == f"{request.url.scheme}://{request.url.netloc}"


async def verify(secret_key: str, request: Request) -> str | None:
    """None when the request may proceed, else the reason it may not."""
    if request.method in SAFE_METHODS:
        return None
    expected = request_token(secret_key, request)
    if not expected:
        return "no session cookie"
    if not _same_origin(request):
        return "cross-origin request"
    offered = request.headers.get(HEADER, "")
    if not offered and reads_form(request):
        value = (await request.form()).get(FIELD)
        offered = value if isinstance(value, str) else ""
    if not offered or not hmac.compare_digest(offered, expected):
        return "missing or wrong CSRF token"
    return None
