"""How a request reaches an OpenAI-compatible endpoint: the seam between the provider client
and the network (httpx's transports are the model).

- ``AiohttpTransport``: the real one, one pooled aiohttp session per process.
- ``AsgiTransport``: calls an ASGI app in process, no socket (tests hand the mock upstream to
  ``create_app(..., transport=...)``): the app receives the same method, path, headers and
  body, and its reply streams back as it sends it.

A transport raises ``TimeoutError`` when the endpoint does not answer within ``timeout_s``
(to connect, or between two pieces of the reply) and one of ``CONNECT_ERRORS`` when the
connection fails or drops; ``gateway.provider.protocol`` maps both for the user.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from typing import Any, Protocol
from urllib.parse import urlsplit

import aiohttp

CONNECT_ERRORS = (aiohttp.ClientError, OSError)


class Reply(Protocol):
    status: int

    async def read(self) -> bytes: ...

    def pieces(self) -> AsyncIterator[bytes]: ...


class Transport(Protocol):
    async def fetch(
        self, url: str, *, data: bytes, headers: dict[str, str], timeout_s: float
    ) -> tuple[int, bytes]:
        """The status and the whole body of a reply (``post`` without the context manager and
        the reply object: the common, whole-reply call is the cheaper one)."""
        ...

    def post(
        self, url: str, *, data: bytes, headers: dict[str, str], timeout_s: float
    ) -> AbstractAsyncContextManager[Reply]: ...

    async def aclose(self) -> None: ...


class _AiohttpReply:
    __slots__ = ("_response", "status")

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self._response = response
        self.status = response.status

    async def read(self) -> bytes:
        return await self._response.read()

    def pieces(self) -> AsyncIterator[bytes]:
        return self._response.content.iter_any()


class AiohttpTransport:
    """aiohttp rather than httpx: the same call costs a fraction of the CPU (its HTTP parser is
    C, its pool has no per-request locking dance), and the upstream call was the largest share
    of the gateway's own CPU per request (bench/overhead, issue 2). Timeouts keep httpx's
    meaning: ``timeout_s`` for connecting and for each read, not for a whole stream."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[float, aiohttp.ClientTimeout] = {}

    def _client(self) -> aiohttp.ClientSession:
        # Created on first use, inside the running loop (aiohttp binds a session to its loop).
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=512, ttl_dns_cache=300)
            # No cookie jar: a cookie one user's reply sets must not ride on the next user's
            # request, and filtering the jar for every request is CPU spent for nothing.
            self._session = aiohttp.ClientSession(
                connector=connector, trust_env=False, cookie_jar=aiohttp.DummyCookieJar()
            )
        return self._session

    def _timeout(self, seconds: float) -> aiohttp.ClientTimeout:
        timeout = self._timeouts.get(seconds)
        if timeout is None:
            timeout = aiohttp.ClientTimeout(total=None, connect=seconds, sock_read=seconds)
            self._timeouts[seconds] = timeout
        return timeout

    async def fetch(
        self, url: str, *, data: bytes, headers: dict[str, str], timeout_s: float
    ) -> tuple[int, bytes]:
        response = await self._client().post(
            url, data=data, headers=headers, timeout=self._timeout(timeout_s)
        )
        try:
            return response.status, await response.read()
        except BaseException:
            # Cancelled (the client left) or timed out mid-reply: the connection closes rather
            # than going back to the pool, and the upstream sees the request stop.
            response.close()
            raise

    @asynccontextmanager
    async def post(
        self, url: str, *, data: bytes, headers: dict[str, str], timeout_s: float
    ) -> AsyncIterator[Reply]:
        timeout = self._timeout(timeout_s)
        async with self._client().post(
            url, data=data, headers=headers, timeout=timeout
        ) as response:
            yield _AiohttpReply(response)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


Message = MutableMapping[str, Any]
Asgi = Callable[
    [
        MutableMapping[str, Any],
        Callable[[], Awaitable[Message]],
        Callable[[Message], Awaitable[None]],
    ],
    Awaitable[None],
]
_ENDED: Message = {"type": "ended"}  # the app returned


class _AsgiReply:
    def __init__(self, status: int, messages: asyncio.Queue[Message], timeout_s: float) -> None:
        self.status = status
        self._messages = messages
        self._timeout = timeout_s

    async def read(self) -> bytes:
        return b"".join([piece async for piece in self.pieces()])

    async def pieces(self) -> AsyncIterator[bytes]:
        while True:
            message = await asyncio.wait_for(self._messages.get(), self._timeout)
            if message is _ENDED:
                return
            if message.get("type") == "failed":
                raise ConnectionResetError("the in-process upstream failed mid-reply")
            if message.get("body"):
                yield message["body"]
            if not message.get("more_body"):
                return


class AsgiTransport:
    """An ASGI app as the endpoint, called in the same event loop (the model is httpx's
    ``ASGITransport``, which buffers a whole reply; this one streams it)."""

    def __init__(self, app: Asgi) -> None:
        self.app = app

    async def fetch(
        self, url: str, *, data: bytes, headers: dict[str, str], timeout_s: float
    ) -> tuple[int, bytes]:
        async with self.post(url, data=data, headers=headers, timeout_s=timeout_s) as reply:
            return reply.status, await reply.read()

    @asynccontextmanager
    async def post(
        self, url: str, *, data: bytes, headers: dict[str, str], timeout_s: float
    ) -> AsyncIterator[Reply]:
        parts = urlsplit(url)
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": parts.scheme,
            "path": parts.path,
            "raw_path": parts.path.encode(),
            "query_string": parts.query.encode(),
            "root_path": "",
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]
            + [(b"host", parts.netloc.encode()), (b"content-length", str(len(data)).encode())],
            "server": (parts.hostname or "upstream", parts.port or 80),
            "client": ("127.0.0.1", 0),
        }
        messages: asyncio.Queue[Message] = asyncio.Queue()
        closed = asyncio.Event()
        requested = False

        async def receive() -> Message:
            nonlocal requested
            if not requested:
                requested = True
                return {"type": "http.request", "body": data, "more_body": False}
            await closed.wait()
            return {"type": "http.disconnect"}

        async def run() -> None:
            try:
                await self.app(scope, receive, messages.put)
            except Exception:  # a dropped connection, as a socket would see it
                await messages.put({"type": "failed"})
            else:
                await messages.put(_ENDED)

        task = asyncio.create_task(run())
        try:
            start = await asyncio.wait_for(messages.get(), timeout_s)
            if start.get("type") != "http.response.start":
                raise ConnectionResetError("the in-process upstream answered nothing")
            yield _AsgiReply(int(start["status"]), messages, timeout_s)
        finally:
            closed.set()
            if not task.done():
                task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    async def aclose(self) -> None:
        return None
