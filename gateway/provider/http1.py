"""The provider call's HTTP/1.1 client: pooled keep-alive connections as asyncio protocols,
replies parsed by httptools (llhttp, the parser uvicorn serves with).

Why not aiohttp: at one request at a time, aiohttp's per-request Python (session, request and
response objects, payload registry, a task to write the body, stream readers) cost ~2x this
client's CPU per call (docs/benchmarks.md, fifth session — upstream). The gateway needs one
thing from a client: POST a JSON body, read a JSON reply or an event stream.

What it keeps: TLS with the system's trust store; connections reused while the server keeps
them alive, at most a set number per endpoint (``gateway.provider.http1_pool``); ``timeout_s``
to connect, for the reply's head, for the whole of a reply read at once (``body``: a provider
sending it a byte at a time cannot hold the caller and the connection past it) and between two
pieces of a stream (a ``TimeoutError``); a reply cut short is a
``ConnectionResetError``; a call that stops before its reply ended (cancelled when the client
left, timed out, an error) closes its connection, so the provider sees the request stop. No
redirects are followed, no cookies kept, no proxy.

What a provider may not do (each a ``ConnectionResetError``, the connection closed): send a
head over ``MAX_HEAD_BYTES`` or a whole reply over ``MAX_REPLY_BYTES`` (memory), a reply to no
request or a second reply to one (it would reach the next caller on that connection), switch
protocols (101). Content-Length with Transfer-Encoding, or two Content-Lengths, are refused by
llhttp itself. Interim replies (100, 103) are skipped. The request is only ever a POST, so no
reply is bodiless for being an answer to HEAD.
"""

from __future__ import annotations

import asyncio
import re
from collections import deque
from collections.abc import AsyncIterator
from typing import NamedTuple, cast
from urllib.parse import urlsplit

import httptools

PAUSE_BYTES = 1 << 20  # reading pauses while this much of a reply waits to be consumed
MAX_HEAD_BYTES = 64 << 10  # a reply's status line and headers (llhttp sets no bound)
MAX_REPLY_BYTES = 64 << 20  # a reply read whole (a chat completion is a few hundred KiB)


_UNSENDABLE = re.compile(r"[\x00-\x20\x7f]")  # breaks a request line or a header
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # a header name (RFC 9110, 5.6.2)
# Written by ``request_head`` itself: a second copy from the caller would frame the request
# twice (smuggling towards the provider) or send it elsewhere.
_OWN_HEADERS = frozenset({"host", "content-length", "transfer-encoding"})


class Target(NamedTuple):
    host: str
    port: int
    tls: bool
    head: bytes  # the request line and Host header


def target(url: str) -> Target:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url!r}")
    if _UNSENDABLE.search(f"{parts.hostname}{parts.path}{parts.query}"):
        raise ValueError(f"the URL holds a space or a control character: {url!r}")
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
        self._interim = False  # the message being parsed is a 1xx, not the reply
        self._head_bytes = 0
        self.status = 0
        self.headed = False
        self.done = False

    # -- asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except (httptools.HttpParserError, httptools.HttpParserUpgrade) as exc:
            refused = exc.__context__  # raised by a callback below
            if not isinstance(refused, ConnectionResetError):
                refused = ConnectionResetError(f"the provider's reply is not HTTP: {exc}")
            self._fail(refused)
            return
        if not self.headed:  # all of it was head: a head that never ends would fill memory
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEAD_BYTES:
                self._fail(ConnectionResetError("the provider's reply head is too large"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if self._error is None and self.headed and not self._framed and not self.done:
            self.on_message_complete()  # a reply without a length ends with its connection
        elif not self.done and self._error is None:
            reason = f" ({exc})" if exc else ""
            self._fail(
                ConnectionResetError(f"the provider closed the connection mid-reply{reason}")
            )

    # -- httptools callbacks
    def on_message_begin(self) -> None:
        if self.done:  # one request, one reply: more would be read as the next caller's
            raise ConnectionResetError("the provider sent a reply to no request")
        self._framed = False

    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        # Framed when llhttp knows where it ends: a length, or chunked as the last coding.
        if name == b"content-length" or (
            name == b"transfer-encoding" and value.rstrip().lower().endswith(b"chunked")
        ):
            self._framed = True

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        if status < 200:
            if status == 101:  # nothing here speaks another protocol
                raise ConnectionResetError("the provider switched protocols (101)")
            self._interim = True  # 100 Continue, 103 Early Hints: the reply follows
            return
        self.status = status
        self.headed = True
        self._framed = self._framed or status in (204, 304)
        self._wake()

    def on_body(self, body: bytes) -> None:
        self._pieces.append(body)
        self._buffered += len(body)
        if self._buffered > PAUSE_BYTES and self.transport is not None and not self._paused:
            self._paused = True
            self.transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        if self._interim:
            self._interim = False
            return
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
        self.lost = True  # at once: connection_lost comes a loop turn later
        if self.transport is not None:
            self.transport.close()
        self._wake()

    def send(self, head: bytes, data: bytes) -> None:
        if self.transport is None:
            raise ConnectionResetError("the connection to the provider is not open")
        self._parser = httptools.HttpResponseParser(self)
        self.status, self.headed, self.done, self._framed = 0, False, False, False
        self._keep_alive, self._head_bytes = False, 0
        self.transport.write(head + data)

    async def _wait(self, timeout_s: float) -> None:
        if self._error is not None:
            raise self._error
        waiter = self._waiter = self._loop.create_future()
        timer = self._loop.call_later(timeout_s, expire, waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            self._waiter = None
        # An error after the reply (a second reply sent behind it) leaves the reply whole: the
        # caller's loop asks again only if it still needs more, and is raised to then.

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
        """The whole body, within ``timeout_s`` of asking (not per piece)."""
        # Piece by piece, as they arrive: waiting for the end with the pieces left unread would
        # pause reading past ``PAUSE_BYTES`` and never see the end (a reply over 1 MiB: 504).
        pieces: list[bytes] = []
        size = 0
        deadline = self._loop.time() + timeout_s
        while (piece := await self.piece(max(deadline - self._loop.time(), 0.0))) is not None:
            size += len(piece)
            if size > MAX_REPLY_BYTES:
                raise ConnectionResetError(
                    f"the provider's reply is larger than {MAX_REPLY_BYTES >> 20} MiB"
                )
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


def expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())


def request_head(to: Target, headers: dict[str, str], length: int) -> bytes:
    for name, value in headers.items():
        if not _TOKEN.fullmatch(name) or name.lower() in _OWN_HEADERS:
            raise ValueError(f"a header name that cannot be sent: {name!r}")
        if "\r" in value or "\n" in value or "\0" in value:
            raise ValueError(f"the value of header {name!r} holds a line break or NUL")
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
