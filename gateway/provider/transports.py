"""How a request reaches an OpenAI-compatible endpoint: the seam between the provider client
and the network (httpx's transports are the model).

- ``Http1Transport``: the real one, pooled keep-alive connections (``gateway.provider.http1``).
- ``AsgiTransport``: calls an ASGI app in process, no socket (tests hand the mock upstream to
  ``create_app(..., transport=...)``): the app receives the same method, path, headers and
  body, and its reply streams back as it sends it.

A transport raises ``TimeoutError`` when the endpoint does not answer within ``timeout_s``
(to connect, or between two pieces of the reply) and one of ``CONNECT_ERRORS`` when the
connection fails or drops; ``gateway.provider.protocol`` maps both for the user.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from typing import Any, Protocol
from urllib.parse import urlsplit

from gateway.provider import http1, http1_pool

# OSError: refused, reset, DNS, TLS; ValueError: an endpoint URL or header that cannot be sent.
CONNECT_ERRORS = (OSError, ValueError)


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


class _Http1Reply:
    __slots__ = ("_conn", "_timeout", "status")

    def __init__(self, conn: http1.Connection, status: int, timeout_s: float) -> None:
        self._conn = conn
        self._timeout = timeout_s
        self.status = status

    async def read(self) -> bytes:
        return await self._conn.body(self._timeout)

    def pieces(self) -> AsyncIterator[bytes]:
        return http1.pieces(self._conn, self._timeout)


class Http1Transport:
    """Pooled HTTP/1.1 over asyncio (``gateway.provider.http1``). ``timeout_s`` for connecting,
    for the reply's head, for a whole reply read at once, and for each read of a stream (not
    for a whole stream: a long answer may stream for minutes)."""

    def __init__(
        self, tls: ssl.SSLContext | None = None, *, max_connections: int = http1_pool.LIMIT_PER_HOST
    ) -> None:
        """``tls``: the context for https endpoints (the system's trust store unless given);
        ``max_connections``: open at once per endpoint, more requests wait their turn."""
        self._pool = http1_pool.Pool(tls, limit=max_connections)

    async def fetch(
        self, url: str, *, data: bytes, headers: dict[str, str], timeout_s: float
    ) -> tuple[int, bytes]:
        to = self._pool.target(url)
        head = http1.request_head(to, headers, len(data))
        conn = await self._pool.connection(to, timeout_s)
        try:
            conn.send(head, data)
            status = await conn.head(timeout_s)
            body = await conn.body(timeout_s)
        except BaseException:
            # Cancelled (the client left), timed out or broken mid-reply: the connection
            # closes rather than going back to the pool, and the upstream sees the request stop.
            self._pool.discard(conn)
            raise
        self._pool.release(conn)
        return status, body

    @asynccontextmanager
    async def post(
        self, url: str, *, data: bytes, headers: dict[str, str], timeout_s: float
    ) -> AsyncIterator[Reply]:
        to = self._pool.target(url)
        head = http1.request_head(to, headers, len(data))
        conn = await self._pool.connection(to, timeout_s)
        try:
            conn.send(head, data)
            yield _Http1Reply(conn, await conn.head(timeout_s), timeout_s)
        except BaseException:
            self._pool.discard(conn)
            raise
        self._pool.release(conn)  # closed instead unless its reply was read to the end

    async def aclose(self) -> None:
        self._pool.close()


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
