"""What a provider (or anything on the way to it) may not do to the HTTP/1.1 client
(gateway.provider.http1), and what the client never sends: each refused reply is a clear 502
and its connection is never reused, so nothing of it reaches another caller."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import pytest

from gateway.kernel.errors import UpstreamError
from gateway.kernel.settings import ModelRoute
from gateway.provider import http1, openai
from gateway.provider.openai import OpenAICompatible
from tests.gateway.test_provider_transport import (
    BODY,
    REPLY,
    Scripted,
    _certificate,
    ok,
    raw,
    run,
    times,
)

OTHER = b'{"choices":[{"message":{"role":"assistant","content":"not yours"}}]}'
REPLY_OTHER = b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(OTHER), OTHER)
REPLY_OK = b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(REPLY), REPLY)


async def a_502(provider: OpenAICompatible, route: ModelRoute) -> None:
    with pytest.raises(UpstreamError) as caught:
        await provider.complete(route, BODY)
    assert caught.value.status == 502


def test_a_second_reply_to_one_request_never_reaches_the_next_caller() -> None:
    server = Scripted(raw(REPLY_OK + REPLY_OTHER), ok())
    run(server, times(2))
    assert server.connections == 2  # the first one closed, not reused


def test_a_reply_to_no_request_on_an_idle_connection_never_reaches_the_next_caller() -> None:
    async def late(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(REPLY_OK)
        await asyncio.sleep(0.05)  # the connection is idle in the pool now
        writer.write(REPLY_OTHER)
        await writer.drain()

    async def calls(provider: OpenAICompatible, route: ModelRoute) -> None:
        for _ in range(2):
            reply = await provider.complete(route, BODY)
            assert reply["choices"][0]["message"]["content"] == "ok"
            await asyncio.sleep(0.3)  # the late reply arrives meanwhile

    server = Scripted(late, ok())
    run(server, calls)
    assert server.connections == 2


def test_interim_replies_are_skipped() -> None:
    interim = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\n"
    run(Scripted(raw(interim + REPLY_OK), ok()), times(2))


@pytest.mark.parametrize(
    "reply",
    [
        b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\ntransfer-encoding: chunked\r\n\r\n"
        b"3\r\nabc\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\nabc",
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nfffffffffffffffffff\r\n",
        b"HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: h2c\r\n\r\n",
    ],
    ids=["length-and-chunked", "two-lengths", "chunk-size-overflow", "switch-protocols"],
)
def test_a_reply_framed_ambiguously_or_elsewhere_is_a_502_and_not_reused(reply: bytes) -> None:
    server = Scripted(raw(reply), ok())

    async def calls(provider: OpenAICompatible, route: ModelRoute) -> None:
        await a_502(provider, route)
        assert (await provider.complete(route, BODY))["choices"][0]["message"]["content"] == "ok"

    run(server, calls)
    assert server.connections == 2


def test_a_redirect_is_a_502_and_not_followed() -> None:
    moved = b"HTTP/1.1 307 Temporary Redirect\r\nlocation: /v1/chat/completions\r\n"
    server = Scripted(raw(moved + b"content-length: 0\r\n\r\n"), ok())
    run(server, a_502)
    assert len(server.heads) == 1


def test_a_head_that_never_ends_is_refused_before_it_fills_memory() -> None:
    async def endless_head(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nx-pad: ")
        while not writer.is_closing():
            writer.write(b"a" * 4096)
            await writer.drain()
            await asyncio.sleep(0)

    server = Scripted(endless_head)
    run(server, a_502, timeout_s=5)  # a 504 if it is only refused at the read timeout


@pytest.mark.parametrize("framed", [True, False], ids=["with-length", "until-eof"])
def test_a_reply_larger_than_the_bound_is_refused(
    monkeypatch: pytest.MonkeyPatch, framed: bool
) -> None:
    monkeypatch.setattr(http1, "MAX_REPLY_BYTES", 1 << 20)

    async def endless(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        length = b"content-length: 1000000000000\r\n" if framed else b""
        writer.write(b"HTTP/1.1 200 OK\r\n" + length + b"\r\n")
        while not writer.is_closing():
            writer.write(b" " * 65536)
            await writer.drain()

    server = Scripted(endless)

    async def calls(provider: OpenAICompatible, route: ModelRoute) -> None:
        await asyncio.wait_for(a_502(provider, route), 10)  # unbounded: it would never end
        await asyncio.wait_for(server.closed.wait(), 5)

    run(server, calls, timeout_s=5)


def test_a_stream_line_that_never_ends_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(openai, "MAX_LINE_BYTES", 1 << 20)

    async def endless(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\ndata: ")
        while not writer.is_closing():
            writer.write(b"a" * 65536)
            await writer.drain()

    server = Scripted(endless)

    async def calls(provider: OpenAICompatible, route: ModelRoute) -> None:
        async def consume() -> None:
            async for _ in provider.stream(route, BODY):
                pass

        with pytest.raises(UpstreamError) as caught:
            await asyncio.wait_for(consume(), 10)  # unbounded: it would never end
        assert caught.value.status == 502
        await asyncio.wait_for(server.closed.wait(), 5)

    run(server, calls, timeout_s=5)


@pytest.mark.parametrize(
    "headers",
    [
        {"x-a": "1\r\nx-injected: 1"},
        {"x-a": "1\nx-injected: 1"},
        {"x-a": "1\0"},
        {"x-a\r\nx-injected": "1"},
        {"x-a: 1\r\nx-b": "1"},
        {"x a": "1"},
        {"": "1"},
        {"Host": "elsewhere.example"},
        {"content-length": "0"},
        {"Transfer-Encoding": "chunked"},
    ],
)
def test_a_header_that_would_change_the_request_is_never_sent(headers: dict[str, str]) -> None:
    to = http1.target("https://api.example.com/v1/chat/completions")
    with pytest.raises(ValueError, match="header"):
        http1.request_head(to, headers, 2)


def test_the_request_head_is_what_the_caller_asked_for() -> None:
    to = http1.target("https://api.example.com:8443/v1/chat/completions?api-version=1")
    head = http1.request_head(to, {"authorization": "Bearer k", "content-type": "x/y"}, 2)
    assert head.split(b"\r\n") == [
        b"POST /v1/chat/completions?api-version=1 HTTP/1.1",
        b"host: api.example.com:8443",
        b"user-agent: kakehashi",
        b"accept-encoding: identity",
        b"authorization: Bearer k",
        b"content-type: x/y",
        b"content-length: 2",
        b"",
        b"",
    ]


@pytest.mark.parametrize(
    "url",
    [
        "https://api.example.com/v1 HTTP/1.1\r\nx: y",
        "https://api.example.com/v1 x",
        "https://api.exa mple.com/v1",
        "https://api.example.com/v1\x00",
        "ftp://api.example.com/v1",
    ],
)
def test_an_endpoint_url_that_would_break_the_request_line_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="URL"):
        http1.target(url)


def test_tls_checks_the_host_name_not_only_the_chain(tmp_path: Path) -> None:
    """The certificate is trusted but names ``localhost``: ``127.0.0.1`` is refused."""
    server_tls, pem = _certificate(tmp_path)
    trusting = ssl.create_default_context(cafile=str(pem))
    run(Scripted(ok()), times(1), tls=(server_tls, trusting))
    server = Scripted(ok())
    run(server, a_502, tls=(server_tls, trusting), host="127.0.0.1")
    assert not server.heads
