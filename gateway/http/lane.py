"""The chat request's own lane through the application: ``Gateway``, a FastAPI app that hands
``POST /v1/chat/completions`` straight to its endpoint.

Every other request walks FastAPI's and Starlette's stack: the server-error, telemetry and
body-limit middlewares, ``CountRequests``, the exception middleware, an exit stack, the router,
the route and its request wrapper, each a call frame or three per request. For the one request
that matters to throughput that was several percent of its CPU at concurrency 1 (issue 18). The
lane keeps what those layers do for it: the request is counted in flight (``CountRequests``),
an exception the app has a handler for is answered by that handler (the one error convention
of ``gateway.http.routing``), anything else propagates to the server as before. Other methods
and paths (a GET, a trailing slash) take the ordinary stack and get its answers (405, redirect).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

Endpoint = Callable[[Request], Awaitable[Response]]


class Gateway(FastAPI):
    """FastAPI with lanes: ``(method, path)`` -> endpoint, served without the stack."""

    def __init__(self, *, lanes: Mapping[tuple[str, str], Endpoint], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._lanes = dict(lanes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        endpoint = (
            self._lanes.get((scope["method"], scope["path"]))
            if scope["type"] == "http" and not self.root_path
            else None
        )
        state = getattr(self.state, "kakehashi", None)  # None: the lifespan has not run
        if endpoint is None or state is None:
            await super().__call__(scope, receive, send)
            return
        scope["app"] = self
        state.requests += 1  # as CountRequests: pipeline.chat reads the count
        try:
            await self._serve(endpoint, scope, receive, send)
        finally:
            state.requests -= 1

    async def _serve(self, endpoint: Endpoint, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        request = Request(scope, receive, sending)
        try:
            response = await endpoint(request)
            await response(scope, receive, sending)
        except Exception as exc:
            handler, unexpected = self._handler(exc)
            if handler is None or started:  # as Starlette's: the server reports it
                raise
            answer = handler(request, exc)
            response = await answer if inspect.isawaitable(answer) else answer
            await response(scope, receive, send)
            if unexpected:  # as Starlette's server-error middleware: answered, then logged
                raise

    def _handler(self, exc: Exception) -> tuple[Callable[[Request, Any], Any] | None, bool]:
        """The app's handler for ``exc``: the nearest class in its MRO (Starlette's rule), and
        whether it is the catch-all for ``Exception`` (a bug: the server must still log it)."""
        for cls in type(exc).__mro__[:-2]:  # not BaseException, object
            handler = self.exception_handlers.get(cls)
            if handler is not None:
                return handler, cls is Exception
        return None, False
