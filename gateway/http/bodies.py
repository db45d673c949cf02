"""Request bodies read into memory only up to a bound, so one client cannot make a worker buffer
gigabytes: ``LimitBodies`` for every route (the bound of ``server.max_body_mb``, as deploy/nginx's
``client_max_body_size``), ``read_body`` for the routes that read a body themselves (the chat
API's own lane, which skips the middleware; attached files, against the department's limit).

Over the bound, the app's one error convention answers (a 413 in Japanese and English), always
before the route's response starts: a Content-Length over the bound is answered at once by the
app's handler, without the route; a body without one, from inside the app's ``receive`` (where
the exception handlers catch it) while the route reads it. FastAPI's own ``max_body_size``
answers a plain-text 413 instead.

A form body where a route reads its raw body is refused too (``refuse_form``).
"""

from __future__ import annotations

import inspect

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.identity import csrf
from gateway.kernel.errors import BadRequest


def _declared(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def refuse_form(request: Request, expected: str = "application/json") -> None:
    """A form body (the 400 a FastAPI route here answers for one) where the route reads its raw
    body as ``expected``. Called before ``authenticate``: for a browser session, ``csrf.verify``
    parses a form looking for its token, which consumes the body, and the route's ``read_body``
    then met a consumed stream (a 500). The form is refused rather than kept for the route: it
    is never a chat request or a file, and on the chat API's lane (no ``LimitBodies``) parsing
    it would buffer a body of any size."""
    if csrf.reads_form(request):
        raise BadRequest(
            f"フォーム形式の本文は受け付けません。Content-Type: {expected} で送ってください。",
            f"A form body is not accepted here; send Content-Type: {expected}.",
        )


async def read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it passes ``limit`` bytes (the rest is never buffered).
    Call ``refuse_form`` before authenticating the request."""
    declared = _declared(request.scope)
    if declared is not None and declared > limit:
        return None
    data = bytearray()
    async for piece in request.stream():
        data += piece
        if len(data) > limit:
            return None
    return bytes(data)


async def _refuse(scope: Scope, receive: Receive, send: Send) -> None:
    """The 413 as the app renders it (its handler for ``HTTPException``: JSON for the API, the
    error page for a browser). This middleware sits outside the app's exception middleware, so
    an exception raised here would reach the server-error middleware as a 500."""
    request = Request(scope, receive)
    exc = HTTPException(413)
    answer = scope["app"].exception_handlers[HTTPException](request, exc)
    response = await answer if inspect.isawaitable(answer) else answer
    await response(scope, receive, send)


class LimitBodies:
    """Pure ASGI: a body over ``limit`` bytes is answered with a 413 before the route's response
    starts: at once, without the route, when its Content-Length says so; else when the route
    reads past it. Paths under ``exempt`` bring their own limit."""

    def __init__(self, app: ASGIApp, *, limit: int, exempt: tuple[str, ...] = ()) -> None:
        self.app = app
        self.limit = limit
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        declared = _declared(scope)
        if declared is not None and declared > self.limit:
            # Not from ``receive``: a route that never reads its body would first meet it in a
            # streaming response's disconnect listener, after its response started (a broken
            # stream and an error in the log instead of a 413).
            await _refuse(scope, receive, send)
            return
        limit, seen, started = self.limit, 0, False

        async def bounded() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            # Once the response started, a 413 can no longer be sent: a receive then is a
            # streaming response listening for the disconnect, which discards what it reads.
            if seen > limit and not started:
                raise HTTPException(413)
            return message

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, bounded, sending)
