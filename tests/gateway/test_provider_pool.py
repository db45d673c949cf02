"""The cap on connections to one provider endpoint (gateway.provider.http1_pool.Pool, the setting
``provider_connections``): a burst over it never opens more sockets and is served first come,
first served; a request that waits too long is a 504; a waiter that leaves (the user pressed
stop) leaves the queue and no slot behind; a connection closed on an error frees its slot."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from gateway.kernel.errors import UpstreamError, UpstreamTimeout
from gateway.kernel.settings import ModelRoute
from gateway.provider import http1, http1_pool
from gateway.provider.openai import OpenAICompatible
from tests.gateway.test_provider_transport import (
    BODY,
    REPLY,
    Answer,
    Scripted,
    never,
    ok,
    raw,
    run,
)

SETTLE = 0.05
CUT_SHORT = (
    b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % len(REPLY) + REPLY[:9]
)  # time for a loop turn or two on a loaded machine


@asynccontextmanager
async def endpoint() -> AsyncIterator[http1.Target]:
    """A server that accepts connections and keeps them open, silent."""

    server = Scripted()  # answers nothing: no request is sent
    listener = await asyncio.start_server(server.serve, "127.0.0.1", 0)
    try:
        yield http1.target(f"http://127.0.0.1:{listener.sockets[0].getsockname()[1]}/v1")
    finally:
        listener.close()
        await server.stop()


def held(pool: http1_pool.Pool, to: http1.Target) -> http1_pool.Endpoint:
    return pool._endpoints[(to.host, to.port, to.tls)]


def slow_ok(gate: asyncio.Event) -> Answer:
    """A reply sent once ``gate`` is set."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await gate.wait()
        await ok()(reader, writer)

    return answer


def test_a_burst_over_the_cap_opens_no_more_connections_and_every_call_is_answered() -> None:
    gate = asyncio.Event()
    server = Scripted(*(slow_ok(gate) for _ in range(6)))

    async def calls(provider: OpenAICompatible, route: ModelRoute) -> list[Any]:
        burst = [asyncio.create_task(provider.complete(route, BODY)) for _ in range(6)]
        for _ in range(100):  # until two requests are in (more would come meanwhile)
            if len(server.heads) >= 2:
                break
            await asyncio.sleep(SETTLE)
        await asyncio.sleep(0.2)
        assert (server.connections, len(server.heads)) == (2, 2)
        gate.set()
        return await asyncio.gather(*burst)

    replies = run(server, calls, connections=2)
    assert [r["choices"][0]["message"]["content"] for r in replies] == ["ok"] * 6
    assert server.connections == 2  # the other four calls reused them


def test_waiters_are_served_first_come_first_served() -> None:
    async def main() -> None:
        pool = http1_pool.Pool(limit=1)
        async with endpoint() as to:
            first = await pool.connection(to, 5)
            order: list[int] = []

            async def wait(n: int) -> None:
                conn = await pool.connection(to, 5)
                order.append(n)
                await asyncio.sleep(SETTLE)
                pool.discard(conn)

            waiters = []
            for n in range(4):
                waiters.append(asyncio.create_task(wait(n)))
                await asyncio.sleep(SETTLE)  # queued in this order
            assert (order, held(pool, to).busy) == ([], 1)
            pool.discard(first)
            await asyncio.wait_for(asyncio.gather(*waiters), 5)
            assert order == [0, 1, 2, 3]
            assert (held(pool, to).busy, len(held(pool, to).turns)) == (0, 0)
            pool.close()

    asyncio.run(main())


def test_a_wait_longer_than_the_timeout_is_a_504_and_leaves_the_queue() -> None:
    gate = asyncio.Event()
    server = Scripted(slow_ok(gate), ok())

    async def calls(provider: OpenAICompatible, route: ModelRoute) -> None:
        patient = route.model_copy(update={"timeout_s": 10})  # the same endpoint
        holder = asyncio.create_task(provider.complete(patient, BODY))
        await asyncio.wait_for(server.asked.wait(), 5)
        with pytest.raises(UpstreamTimeout):  # waits for the holder's connection: 0.3 s
            await asyncio.wait_for(provider.complete(route, BODY), 5)
        gate.set()
        await holder
        reply = await asyncio.wait_for(provider.complete(route, BODY), 5)  # no queue left
        assert reply["choices"][0]["message"]["content"] == "ok"

    run(server, calls, connections=1, timeout_s=0.3)


@pytest.mark.parametrize("when", ["while-waiting", "as-its-turn-came"])
def test_a_waiter_that_leaves_frees_its_place_and_leaks_no_slot(when: str) -> None:
    """Cancelled while queued, or just after the slot was handed to it (the release and the
    cancel in one loop turn): either way the next request gets the connection."""

    async def main() -> None:
        pool = http1_pool.Pool(limit=1)
        async with endpoint() as to:
            first = await pool.connection(to, 5)
            leaving = asyncio.create_task(pool.connection(to, 5))
            behind = asyncio.create_task(pool.connection(to, 5))
            await asyncio.sleep(SETTLE)
            assert len(held(pool, to).turns) == 2
            if when == "while-waiting":
                leaving.cancel()
                await asyncio.sleep(SETTLE)
                assert len(held(pool, to).turns) == 1
                pool.discard(first)
            else:
                pool.discard(first)  # the slot goes to ``leaving``, which leaves before it runs
                leaving.cancel()
            with pytest.raises(asyncio.CancelledError):
                await leaving
            conn = await asyncio.wait_for(behind, 2)
            assert (held(pool, to).busy, len(held(pool, to).turns)) == (1, 0)
            pool.discard(conn)
            assert held(pool, to).busy == 0
            pool.close()

    asyncio.run(main())


def test_a_call_the_client_leaves_while_queued_never_reaches_the_provider() -> None:
    gate = asyncio.Event()
    server = Scripted(slow_ok(gate), ok())

    async def calls(provider: OpenAICompatible, route: ModelRoute) -> None:
        holder = asyncio.create_task(provider.complete(route, BODY))
        await asyncio.wait_for(server.asked.wait(), 5)
        queued = asyncio.create_task(provider.complete(route, BODY))
        await asyncio.sleep(SETTLE)
        queued.cancel()
        with pytest.raises(asyncio.CancelledError):
            await queued
        gate.set()
        await holder
        await asyncio.wait_for(provider.complete(route, BODY), 5)
        assert len(server.heads) == 2  # the holder's and the last one's

    run(server, calls, connections=1)


@pytest.mark.parametrize(
    "failing",
    [
        raw(CUT_SHORT, hang_up=True),
        raw(b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\ncontent-length: 3\r\n\r\nabc"),
        never,
    ],
    ids=["cut-short", "not-http", "silent"],
)
def test_a_connection_closed_on_an_error_frees_its_slot(failing: Answer) -> None:
    server = Scripted(failing, ok())

    async def calls(provider: OpenAICompatible, route: ModelRoute) -> None:
        with pytest.raises((UpstreamError, UpstreamTimeout)):
            await provider.complete(route, BODY)
        reply = await provider.complete(route, BODY)  # with the slot leaked: a 504
        assert reply["choices"][0]["message"]["content"] == "ok"

    run(server, calls, connections=1, timeout_s=0.5)


def test_a_stream_holds_its_slot_until_it_ends() -> None:
    events = b'data: {"choices":[]}\n\ndata: [DONE]\n\n'
    stream = b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(events), events)
    server = Scripted(raw(stream), ok())

    async def calls(provider: OpenAICompatible, route: ModelRoute) -> None:
        async for _ in provider.stream(route, BODY):
            pass
        reply = await asyncio.wait_for(provider.complete(route, BODY), 5)
        assert reply["choices"][0]["message"]["content"] == "ok"

    run(server, calls, connections=1, timeout_s=0.5)
    assert server.connections == 1
