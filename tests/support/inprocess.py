"""A gateway app served in process: a synchronous ``httpx.Client`` whose transport hands each
request to the app (httpx's ``ASGITransport``) in one event loop on a portal thread, with the
app's lifespan run in that same loop. No server, no port; tests and the OpenAI SDK use it like
any client. (starlette's TestClient does the same but now warns when used with httpx.)"""

from __future__ import annotations

import contextlib
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal
from fastapi import FastAPI


class _PortalTransport(httpx.BaseTransport):
    def __init__(self, portal: BlockingPortal, app: FastAPI) -> None:
        self._portal = portal
        self._asgi = httpx.ASGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def call() -> tuple[int, httpx.Headers, bytes]:
            request.stream = httpx.ByteStream(request.read())
            response = await self._asgi.handle_async_request(request)
            return response.status_code, response.headers, await response.aread()

        status, headers, body = self._portal.call(call)
        return httpx.Response(status, headers=headers, content=body, request=request)


class InProcess(httpx.Client):
    """``InProcess(app)`` runs the app's start-up now; ``close()`` runs its shutdown."""

    def __init__(self, app: FastAPI, **kwargs: Any) -> None:
        self._stack = contextlib.ExitStack()
        portal = self._stack.enter_context(start_blocking_portal())
        self._stack.enter_context(
            portal.wrap_async_context_manager(app.router.lifespan_context(app))
        )
        super().__init__(
            transport=_PortalTransport(portal, app), base_url="http://testserver", **kwargs
        )

    def close(self) -> None:
        super().close()
        self._stack.close()
