"""The real transport to an OpenAI-compatible endpoint (gateway.provider.http1), against a
scripted HTTP/1.1 server on a socket (each test says what the server answers): connections are
reused while the server keeps them alive and never after it closed them; chunked and
until-EOF replies come whole; a reply cut short, a silent server and an untrusted certificate
are clear errors; a call that is cancelled (the client left) closes its upstream connection at
once, so the provider stops working on it; no provider cookie ever rides on a request."""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from gateway.kernel.errors import UpstreamError, UpstreamTimeout
from gateway.kernel.settings import ModelRoute
from gateway.provider import http1
from gateway.provider.openai import OpenAICompatible
from gateway.provider.transports import Http1Transport

REPLY = b'{"choices":[{"message":{"role":"assistant","content":"ok"}}]}'
BODY: dict[str, Any] = {"messages": [{"role": "user", "content": "こんにちは"}]}
Answer = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class Hangup(Exception):
    """An answer that ends its connection."""


class Scripted:
    """Serves each request with the next answer; records the head of every request, how many
    connections were opened, and that a client hung up."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.heads: list[dict[str, str]] = []
        self.connections = 0
        self.asked = asyncio.Event()  # a request arrived
        self.closed = asyncio.Event()  # a client hung up
        self.serving: dict[asyncio.Task[Any], asyncio.StreamWriter] = {}

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        task = asyncio.current_task()
        assert task is not None
        self.serving[task] = writer
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
        except Hangup:
            pass
        finally:
            writer.close()
            self.serving.pop(task)

    async def stop(self) -> None:
        """Closes the connections still open, and waits for their tasks."""
        for writer in self.serving.values():
            writer.close()
        if self.serving:
            await asyncio.wait(self.serving, timeout=5)


def raw(reply: bytes, *, hang_up: bool = False) -> Answer:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(reply)
        await writer.drain()
        if hang_up:
            raise Hangup

    return answer


def ok(*extra: bytes, hang_up: bool = False) -> Answer:
    head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n" + b"".join(extra)
    return raw(head + b"content-length: %d\r\n\r\n" % len(REPLY) + REPLY, hang_up=hang_up)


async def never(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """No answer: waits until the client hangs up."""
    await reader.read()
    raise ConnectionResetError


Calls = Callable[[OpenAICompatible, ModelRoute], Awaitable[Any]]


def run(server: Scripted, calls: Calls, *, tls: tuple[ssl.SSLContext, ssl.SSLContext] | None = None,
        timeout_s: float = 10, connections: int = 100, host: str = "localhost") -> Any:  # fmt: skip
    async def main() -> Any:
        listener = await asyncio.start_server(
            server.serve, "127.0.0.1", 0, ssl=tls[0] if tls else None
        )
        port = listener.sockets[0].getsockname()[1]
        base = f"{'https' if tls else 'http'}://{host}:{port}/v1"
        route = ModelRoute(alias="m", model="openai/m", api_base=base, timeout_s=timeout_s)
        transport = Http1Transport(tls[1] if tls else None, max_connections=connections)
        provider = OpenAICompatible(transport)
        try:
            return await calls(provider, route)
        finally:
            await provider.aclose()
            listener.close()
            await server.stop()

    return asyncio.run(main())


def times(n: int) -> Calls:
    async def calls(provider: OpenAICompatible, route: ModelRoute) -> None:
        for _ in range(n):
            reply = await provider.complete(route, BODY)
            assert reply["choices"][0]["message"]["content"] == "ok"
            await asyncio.sleep(0.05)  # the server's close, if any, arrives in between

    return calls


def test_a_kept_alive_connection_is_reused_and_the_request_is_as_sent() -> None:
    server = Scripted(ok(b"set-cookie: session=of-user-a; Path=/\r\n"), ok(), ok())
    run(server, times(3))
    assert server.connections == 1
    first = server.heads[0]
    assert first["host"].startswith("localhost:")
    assert first["content-type"] == "application/json"
    assert first["accept-encoding"] == "identity"  # a compressed reply would not parse
    assert "cookie" not in server.heads[2]


@pytest.mark.parametrize(
    "first",
    [ok(b"connection: close\r\n", hang_up=True), ok(hang_up=True)],
    ids=["says-close", "closes-while-idle"],
)
def test_a_connection_the_server_closes_is_not_reused(first: Answer) -> None:
    server = Scripted(first, ok())
    run(server, times(2))
    assert server.connections == 2


@pytest.mark.parametrize(
    "reply",
    [
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
        + b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in (REPLY[:9], REPLY[9:]))
        + b"0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n" + REPLY,  # ends with the connection
        # A coding other than chunked last: llhttp reads it to the end of the connection too.
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: identity\r\n\r\n" + REPLY,
    ],
    ids=["chunked", "until-eof", "not-chunked-coding"],
)
def test_a_reply_without_a_length_comes_whole(reply: bytes) -> None:
    run(Scripted(raw(reply, hang_up=True)), times(1))


def test_a_reply_cut_short_is_a_clear_502() -> None:
    cut = b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % len(REPLY) + REPLY[:20]

    async def calls(provider: OpenAICompatible, route: ModelRoute) -> None:
        with pytest.raises(UpstreamError) as caught:
            await provider.complete(route, BODY)
        assert (caught.value.status, "接続" in caught.value.ja) == (502, True)

    run(Scripted(raw(cut, hang_up=True)), calls)


def test_a_silent_server_is_a_timeout_and_its_connection_is_closed() -> None:
    server = Scripted(never)

    async def calls(provider: OpenAICompatible, route: ModelRoute) -> None:
        with pytest.raises(UpstreamTimeout):
            await provider.complete(route, BODY)
        await asyncio.wait_for(server.closed.wait(), 5)

    run(server, calls, timeout_s=0.3)


def test_a_reply_sent_a_little_at_a_time_is_a_timeout_as_a_whole() -> None:
    """Each piece within ``timeout_s`` of the one before, the whole reply not: a provider (or
    anything between) dripping its answer cannot hold the caller and the connection for ever."""

    async def drip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % len(REPLY))
        for byte in REPLY:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(0.1)

    server = Scripted(drip)

    async def calls(provider: OpenAICompatible, route: ModelRoute) -> float:
        started = asyncio.get_running_loop().time()
        with pytest.raises(UpstreamTimeout):
            await provider.complete(route, BODY)
        await asyncio.wait_for(server.closed.wait(), 5)
        return asyncio.get_running_loop().time() - started

    assert run(server, calls, timeout_s=0.5) < 3  # the whole would take ~6 s


def test_a_cancelled_call_closes_its_upstream_connection() -> None:
    server = Scripted(never)

    async def calls(provider: OpenAICompatible, route: ModelRoute) -> None:
        call = asyncio.create_task(provider.complete(route, BODY))
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
    before the head): the connection closes too, so the provider stops."""
    reading = asyncio.Event()
    body = http1.Connection.body

    async def body_noted(self: http1.Connection, timeout_s: float) -> bytes:
        reading.set()
        return await body(self, timeout_s)

    async def half(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n" + REPLY[:10])
        await writer.drain()
        await never(reader, writer)

    monkeypatch.setattr(http1.Connection, "body", body_noted)
    server = Scripted(half)

    async def calls(provider: OpenAICompatible, route: ModelRoute) -> None:
        call = asyncio.create_task(provider.complete(route, {"messages": []}))
        await asyncio.wait_for(reading.wait(), 5)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        await asyncio.wait_for(server.closed.wait(), 5)

    run(server, calls)


def test_what_a_stream_left_after_done_never_reaches_the_next_reply() -> None:
    """The stream stops reading at ``[DONE]``; a piece the provider sent after it (a keep-alive
    comment, in the same read) stays with its connection, never in front of the next reply."""
    events = (
        b'data: {"choices":[{"index":0,"delta":{"content":"a"}}]}\n\n',
        b"data: [DONE]\n\n",
        b": keep-alive\n\n",
    )
    stream = (
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
        + b"".join(b"%x\r\n%s\r\n" % (len(e), e) for e in events)
        + b"0\r\n\r\n"
    )

    async def calls(provider: OpenAICompatible, route: ModelRoute) -> None:
        assert [c async for c in provider.stream(route, BODY)]
        reply = await provider.complete(route, BODY)
        assert reply["choices"][0]["message"]["content"] == "ok"

    run(Scripted(raw(stream), ok()), calls)


def test_a_whole_reply_larger_than_the_read_pause_comes_whole() -> None:
    """Reading pauses while much of a reply waits unread: a whole-reply call that waits for
    the end must not pause it (a 2 MiB reply: long answers, logprobs)."""
    content = "あ" * (1 << 20)
    big = b'{"choices":[{"message":{"role":"assistant","content":"%s"}}]}' % content.encode()
    head = b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % len(big)

    async def calls(provider: OpenAICompatible, route: ModelRoute) -> None:
        reply = await provider.complete(route, BODY)
        assert reply["choices"][0]["message"]["content"] == content

    run(Scripted(raw(head + big)), calls, timeout_s=2)


def _certificate(folder: Path) -> tuple[ssl.SSLContext, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = folder / "cert.pem"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(pem, folder / "key.pem")
    return server, pem


def test_tls_to_a_trusted_endpoint_and_refused_to_an_untrusted_one(tmp_path: Path) -> None:
    server_tls, pem = _certificate(tmp_path)
    trusting = ssl.create_default_context(cafile=str(pem))
    run(Scripted(ok(), ok()), times(2), tls=(server_tls, trusting))

    async def refused(provider: OpenAICompatible, route: ModelRoute) -> None:
        with pytest.raises(UpstreamError):
            await provider.complete(route, BODY)

    run(Scripted(ok()), refused, tls=(server_tls, ssl.create_default_context()))


def test_a_stream_read_slower_than_it_arrives_pauses_and_resumes() -> None:
    event = b'data: {"choices":[{"delta":{"content":"%s"}}]}\n\n' % ("長" * 1000).encode()
    count = 1200  # ~3.6 MiB, more than http1.PAUSE_BYTES
    sse = event * count + b"data: [DONE]\n\n"
    head = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: %d\r\n\r\n"

    async def calls(provider: OpenAICompatible, route: ModelRoute) -> int:
        seen = 0
        async for batch in provider.stream(route, BODY):
            if not seen:
                await asyncio.sleep(0.3)  # the rest arrives meanwhile, and reading pauses
            seen += len(batch)
        return seen

    assert run(Scripted(raw(head % len(sse) + sse)), calls, timeout_s=2) == count


def test_a_stream_the_client_leaves_mid_way_closes_its_upstream_connection() -> None:
    """The stream's consumer cancelled after its first event (the user pressed stop): the
    provider's connection closes while the provider is still sending."""
    server = Scripted(
        raw(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked"
            b"\r\n\r\n%x\r\n%s\r\n" % (len(first := b'data: {"choices":[]}\n\n'), first)
        )  # and nothing more: the stream stays open
    )

    async def calls(provider: OpenAICompatible, route: ModelRoute) -> None:
        started = asyncio.Event()

        async def consume() -> None:
            async for _ in provider.stream(route, BODY):
                started.set()

        task = asyncio.create_task(consume())
        await asyncio.wait_for(started.wait(), 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await asyncio.wait_for(server.closed.wait(), 5)

    run(server, calls)
