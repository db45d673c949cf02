"""uvicorn's HTTP protocol with a response's head sent together with its body (issue 18).

uvicorn writes the status line and headers when the app sends ``http.response.start`` and the
body on the next message: two ``send`` system calls and two TCP segments for every JSON answer,
the client woken for a head it cannot use alone. ``OneWrite`` holds a response head until the
next write on the connection — the body, which Starlette sends in the same turn of the event
loop — and writes both at once. A head with no body behind it (a HEAD request, a stream whose
first piece is not ready) leaves on its own after at most ``HOLD_S``; closing the connection
writes it first. Nothing else changes: every other write and call reaches the transport as is.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# A timer, not call_soon: a timer cancelled before it fires costs no turn of the loop.
HOLD_S = 0.001
_HEAD = b"HTTP/1.1 "
_END = b"\r\n\r\n"
_CONTINUE = b"HTTP/1.1 100 "


class _HeadWithBody:
    """The connection's transport, holding back a response head until the next write."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._head: bytes | None = None
        self._timer: asyncio.TimerHandle | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._head is not None:
            data = self._head + bytes(data)
            self._release()
        elif (
            isinstance(data, bytes)
            and data.startswith(_HEAD)
            and data.endswith(_END)
            and not data.startswith(_CONTINUE)  # the client waits for it to send its body
        ):
            self._head = data
            self._timer = asyncio.get_running_loop().call_later(HOLD_S, self.flush)
            return
        self._transport.write(data)

    def writelines(self, data: Any) -> None:
        self.write(b"".join(data))

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def flush(self) -> None:
        if self._head is not None:
            head = self._head
            self._release()
            if not self._transport.is_closing():  # the client went away meanwhile
                self._transport.write(head)

    def _release(self) -> None:
        self._head = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._release()
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:  # everything else is the transport's
        return getattr(self._transport, name)


class OneWrite(HttpToolsProtocol):
    """uvicorn's httptools protocol writing through ``_HeadWithBody``."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(_HeadWithBody(transport))  # type: ignore[arg-type]
