"""``gateway.http.wire.OneWrite`` (kakehashi serve's HTTP protocol) on a real socket: a response's
head leaves with its body in one write; a head with no body behind it (HEAD, a stream whose
first piece comes later) still leaves on its own; keep-alive and the bytes are unchanged."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from gateway.http.wire import OneWrite
from tests.fixtures.services import free_port

WRITES: list[bytes] = []  # what reached the socket's transport, one entry per write


class Recorded(OneWrite):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        real = transport.write

        def write(data: Any) -> None:
            WRITES.append(bytes(data))
            real(data)

        transport.write = write  # type: ignore[method-assign]
        super().connection_made(transport)


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    if scope["path"] == "/late":  # the body comes a while after the head
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await asyncio.sleep(0.3)
        await send({"type": "http.response.body", "body": b"late", "more_body": False})
        return
    body = b'{"ok":true}'
    headers = [(b"content-type", b"application/json"), (b"content-length", b"11")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, http=Recorded, loop="asyncio", log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_head_and_body_leave_in_one_write_and_keep_alive_holds(base_url: str) -> None:
    WRITES.clear()
    with httpx.Client(base_url=base_url) as client:
        for _ in range(2):  # one connection, two requests
            reply = client.get("/json")
            assert (reply.status_code, reply.json()) == (200, {"ok": True})
    assert len(WRITES) == 2
    for write in WRITES:
        assert write.startswith(b"HTTP/1.1 200 OK\r\n")
        assert write.endswith(b'\r\n\r\n{"ok":true}')


def test_a_head_without_a_body_behind_it_is_not_held(base_url: str) -> None:
    WRITES.clear()
    with httpx.Client(base_url=base_url) as client:
        assert client.head("/json").status_code == 200
        started = time.monotonic()
        with client.stream("GET", "/late") as reply:
            headed = time.monotonic() - started  # the head, before the body's 0.3 s
            assert reply.status_code == 200
            assert reply.read() == b"late"
    assert headed < 0.25
    head, late_head, late_body = WRITES
    assert head.startswith(b"HTTP/1.1 200 OK\r\n")
    assert head.endswith(b"content-length: 11\r\n\r\n")
    assert late_head.endswith(b"transfer-encoding: chunked\r\n\r\n")
    assert late_body == b"4\r\nlate\r\n0\r\n\r\n"
