"""The provider call's HTTP/1.1 client: pooled keep-alive connections as asyncio protocols,
replies parsed by httptools (llhttp, the parser uvicorn serves with).

Why not aiohttp: at one request at a time, aiohttp's per-request Python (session, request and
response objects, payload registry, a task to write the body, stream readers) cost ~2x this
client's CPU per call (docs/benchmarks.md, fifth session — upstream). The gateway needs one
thing from a client: POST a JSON body, read a JSON reply or an event stream.

What it keeps: TLS with the system's trust store; connections reused while the server keeps
them alive (a connection the server closed while idle is never reused; one idle for longer
than ``IDLE_S`` is closed); ``timeout_s`` to connect and between two pieces of a reply (a
``TimeoutError``); a reply cut short is a ``ConnectionResetError``; a call that stops before
its reply ended (cancelled when the client left, timed out, an error) closes its connection,
so the provider sees the request stop. No redirects are followed, no cookies kept, no proxy.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections import deque
from collections.abc import AsyncIterator
from typing import NamedTuple, cast
from urllib.parse import urlsplit

import httptools

IDLE_S = 15.0  # an idle pooled connection older than this is closed, not reused
IDLE_PER_HOST = 64  # idle connections kept per endpoint; more are closed when released
PAUSE_BYTES = 1 << 20  # reading pauses while this much of a reply waits to be consumed


class Target(NamedTuple):
    host: str
    port: int
    tls: bool
    head: bytes  # the request line and Host header


def target(url: str) -> Target:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    tls = parts.scheme == "https"
    port = parts.port or (443 if tls else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host = parts.hostname if parts.port is None else f"{parts.hostname}:{parts.port}"
    if ":" in parts.hostname:  # an IPv6 literal
        host = f"[{parts.hostname}]" + ("" if parts.port is None else f":{parts.port}")
    head = f"POST {path} HTTP/1.1\r\nhost: {host}\r\n".encode("ascii")
    return Target(parts.hostname, port, tls, head)


class Connection(asyncio.Protocol):
    """One connection and the reply being read on it."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.transport: asyncio.Transport | None = None
        self.lost = False
        self.idle_since = 0.0
        self._parser = httptools.HttpResponseParser(self)
        self._pieces: deque[bytes] = deque()
        self._buffered = 0
        self._paused = False
        self._waiter: asyncio.Future[None] | None = None
        self._error: Exception | None = None
        self._framed = False  # the reply has a length or is chunked (else it ends at EOF)
        self._keep_alive = False
        self.status = 0
        self.headed = False
        self.done = False

    # -- asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(ConnectionResetError(f"the provider's reply is not HTTP: {exc}"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if self.headed and not self._framed and not self.done:
            self.on_message_complete()  # a reply without a length ends with its connection
        elif not self.done:
            reason = f" ({exc})" if exc else ""
            self._fail(
                ConnectionResetError(f"the provider closed the connection mid-reply{reason}")
            )

    # -- httptools callbacks
    def on_header(self, name: bytes, _value: bytes) -> None:
        if name.lower() in (b"content-length", b"transfer-encoding"):
            self._framed = True

    def on_headers_complete(self) -> None:
        self.status = self._parser.get_status_code()
        self.headed = True
        self._framed = self._framed or self.status in (204, 304)
        self._wake()

    def on_body(self, body: bytes) -> None:
        self._pieces.append(body)
        self._buffered += len(body)
        if self._buffered > PAUSE_BYTES and self.transport is not None and not self._paused:
            self._paused = True
            self.transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        # Asked here: llhttp forgets the reply's flags once the next message may begin.
        self._keep_alive = not self.lost and self._parser.should_keep_alive()
        self.done = True
        self._wake()

    # -- the caller's side
    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _fail(self, error: Exception) -> None:
        self._error = error
        if self.transport is not None:
            self.transport.close()
        self._wake()

    def send(self, head: bytes, data: bytes) -> None:
        if self.transport is None:
            raise ConnectionResetError("the connection to the provider is not open")
        self._parser = httptools.HttpResponseParser(self)
        self.status, self.headed, self.done, self._framed = 0, False, False, False
        self._keep_alive = False
        self.transport.write(head + data)

    async def _wait(self, timeout_s: float) -> None:
        if self._error is not None:
            raise self._error
        waiter = self._waiter = self._loop.create_future()
        timer = self._loop.call_later(timeout_s, _expire, waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            self._waiter = None
        if self._error is not None:
            raise self._error

    async def head(self, timeout_s: float) -> int:
        while not self.headed:
            await self._wait(timeout_s)
        return self.status

    async def piece(self, timeout_s: float) -> bytes | None:
        """The next piece of the body as it arrived, or None once the reply ended."""
        while not self._pieces:
            if self.done:
                return None
            await self._wait(timeout_s)
        piece = self._pieces.popleft()
        self._buffered -= len(piece)
        if self._paused and self._buffered <= PAUSE_BYTES // 2 and self.transport is not None:
            self._paused = False
            self.transport.resume_reading()
        return piece

    async def body(self, timeout_s: float) -> bytes:
        # Piece by piece, as they arrive: waiting for the end with the pieces left unread would
        # pause reading past ``PAUSE_BYTES`` and never see the end (a reply over 1 MiB: 504).
        pieces: list[bytes] = []
        while (piece := await self.piece(timeout_s)) is not None:
            pieces.append(piece)
        return b"".join(pieces)

    @property
    def reusable(self) -> bool:
        # Not with a piece left unread (what a stream sent after ``[DONE]``): it would come
        # first in the next reply on this connection.
        return self.done and not self.lost and self._keep_alive and not self._pieces

    def close(self) -> None:
        self.lost = True
        if self.transport is not None:
            self.transport.close()


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())


class Pool:
    """Idle keep-alive connections per endpoint (host, port, TLS)."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self._idle: dict[tuple[str, int, bool], list[Connection]] = {}
        self._targets: dict[str, Target] = {}
        self._tls = tls

    def target(self, url: str) -> Target:
        found = self._targets.get(url)
        if found is None:
            found = self._targets[url] = target(url)
        return found

    async def connection(self, to: Target, timeout_s: float) -> Connection:
        idle = self._idle.get((to.host, to.port, to.tls))
        now = time.monotonic()
        while idle:
            conn = idle.pop()
            if not conn.lost and now - conn.idle_since < IDLE_S:
                return conn
            conn.close()
        loop = asyncio.get_running_loop()
        if to.tls and self._tls is None:
            self._tls = ssl.create_default_context()  # the system's trust store, as aiohttp
        _, conn = await asyncio.wait_for(
            loop.create_connection(
                lambda: Connection(loop),
                to.host,
                to.port,
                ssl=self._tls if to.tls else None,
                server_hostname=to.host if to.tls else None,
            ),
            timeout_s,
        )
        return conn

    def release(self, to: Target, conn: Connection) -> None:
        """Back to the pool if its reply ended and both sides keep it alive; closed else."""
        idle = self._idle.setdefault((to.host, to.port, to.tls), [])
        if conn.reusable and len(idle) < IDLE_PER_HOST:
            conn.idle_since = time.monotonic()
            idle.append(conn)
        else:
            conn.close()

    def close(self) -> None:
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
        self._idle.clear()


def request_head(to: Target, headers: dict[str, str], length: int) -> bytes:
    if any("\r" in f"{k}{v}" or "\n" in f"{k}{v}" for k, v in headers.items()):
        raise ValueError("a header name or value holds a line break")
    text = "".join([f"{name}: {value}\r\n" for name, value in headers.items()])
    return b"".join(
        [
            to.head,
            b"user-agent: kakehashi\r\naccept-encoding: identity\r\n",
            text.encode("latin-1"),
            b"content-length: %d\r\n\r\n" % length,
        ]
    )


async def pieces(conn: Connection, timeout_s: float) -> AsyncIterator[bytes]:
    while (piece := await conn.piece(timeout_s)) is not None:
        yield piece
