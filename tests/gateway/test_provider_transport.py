"""The real transport to an OpenAI-compatible endpoint, against a scripted HTTP/1.1 server on a
socket (each test says what the server answers): one user's provider cookie never rides on
another user's request, and a call that is cancelled (the client left) closes its upstream
connection at once, so the provider stops working on it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from gateway.kernel.settings import ModelRoute
from gateway.provider.openai import OpenAICompatible
from gateway.provider.transports import AiohttpTransport

REPLY = b'{"choices":[{"message":{"role":"assistant","content":"ok"}}]}'
Answer = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class Scripted:
    """Serves each request with the next answer; records the head of every request and each
    connection's end (``closed`` counts connections whose client hung up)."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.heads: list[dict[str, str]] = []
        self.asked = asyncio.Event()  # a request arrived
        self.closed = asyncio.Event()

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")[1:-2]
                headers = {k.lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines)}
                await reader.readexactly(int(headers["content-length"]))
                self.heads.append(headers)
                self.asked.set()
                await self.answers.pop(0)(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            self.closed.set()
        finally:
            writer.close()


def ok(*extra: bytes) -> Answer:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n" + b"".join(extra)
        writer.write(head + b"content-length: %d\r\n\r\n" % len(REPLY) + REPLY)
        await writer.drain()

    return answer


async def never(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """No answer: waits until the client hangs up."""
    await reader.read()
    raise ConnectionResetError


def run(server: Scripted, calls: Callable[[OpenAICompatible, ModelRoute], Awaitable[Any]]) -> Any:
    async def main() -> Any:
        listener = await asyncio.start_server(server.serve, "127.0.0.1", 0)
        port = listener.sockets[0].getsockname()[1]
        # A host name: cookie jars keep no cookies for bare IP addresses.
        route = ModelRoute(alias="m", model="openai/m", api_base=f"http://localhost:{port}/v1")
        provider = OpenAICompatible(AiohttpTransport())
        try:
            return await calls(provider, route)
        finally:
            await provider.aclose()
            listener.close()

    return asyncio.run(main())


def test_a_cookie_the_provider_sets_is_not_sent_back() -> None:
    server = Scripted(ok(b"set-cookie: session=of-user-a; Path=/\r\n"), ok())

    async def calls(provider: OpenAICompatible, route: ModelRoute) -> None:
        for _ in range(2):
            reply = await provider.complete(route, {"messages": []})
            assert reply["choices"][0]["message"]["content"] == "ok"

    run(server, calls)
    assert len(server.heads) == 2
    assert "cookie" not in server.heads[1]


def test_a_cancelled_call_closes_its_upstream_connection() -> None:
    server = Scripted(never)

    async def calls(provider: OpenAICompatible, route: ModelRoute) -> None:
        call = asyncio.create_task(provider.complete(route, {"messages": []}))
        await asyncio.wait_for(server.asked.wait(), 5)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        await asyncio.wait_for(server.closed.wait(), 5)

    run(server, calls)


def test_a_call_cancelled_while_reading_the_reply_closes_its_connection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Cancelled once the reply's head is in and its body is being read (the other test cancels
    before the head): the connection closes too (aiohttp 3.14's ``read`` closes the reply on any
    exception, and ``AiohttpTransport.fetch`` once more), so the provider stops."""
    reading = asyncio.Event()
    read = aiohttp.ClientResponse.read

    async def read_noted(self: aiohttp.ClientResponse) -> bytes:
        reading.set()
        return await read(self)

    async def half(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n" + REPLY[:10])
        await writer.drain()
        await never(reader, writer)

    monkeypatch.setattr(aiohttp.ClientResponse, "read", read_noted)
    server = Scripted(half)

    async def calls(provider: OpenAICompatible, route: ModelRoute) -> None:
        call = asyncio.create_task(provider.complete(route, {"messages": []}))
        await asyncio.wait_for(reading.wait(), 5)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        await asyncio.wait_for(server.closed.wait(), 5)

    run(server, calls)
