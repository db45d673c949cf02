"""The provider client's connection pool (``gateway.provider.http1``): keep-alive connections per
endpoint (host, port, TLS), at most ``limit`` open at once to each.

A request over the limit waits its turn, first come first served, within its ``timeout_s``; a
waiter whose request is abandoned leaves the queue (or passes on a slot handed to it as it
left), and a connection closed on an error frees its slot (``discard``). One idle for longer
than ``IDLE_S``, or closed by the server while idle, is never reused.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections import deque
from contextlib import suppress

from gateway.provider.http1 import Connection, Target, expire, target

IDLE_S = 15.0  # an idle pooled connection older than this is closed, not reused
IDLE_PER_HOST = 64  # idle connections kept per endpoint; more are closed when released
LIMIT_PER_HOST = 100  # connections open at once per endpoint (settings: provider_connections)


class Endpoint:
    """The connections to one endpoint (host, port, TLS): how many are lent out, the idle
    ones, and the requests waiting for one to be released (first come, first served)."""

    __slots__ = ("busy", "idle", "turns")

    def __init__(self) -> None:
        self.busy = 0  # lent out or being opened; with the idle ones, never over the limit
        self.idle: list[Connection] = []
        self.turns: deque[asyncio.Future[None]] = deque()


class Pool:
    """Keep-alive connections per endpoint, at most ``limit`` open at once to each.

    Idle connections are reused before one is opened, so lent + idle never exceed ``limit``.
    A released slot goes straight to the first waiter (no later request overtakes it)."""

    def __init__(self, tls: ssl.SSLContext | None = None, *, limit: int = LIMIT_PER_HOST) -> None:
        self._endpoints: dict[tuple[str, int, bool], Endpoint] = {}
        self._lent: dict[Connection, Endpoint] = {}  # whose slot each lent connection holds
        self._targets: dict[str, Target] = {}
        self._tls = tls
        self._limit = limit

    def target(self, url: str) -> Target:
        found = self._targets.get(url)
        if found is None:
            found = self._targets[url] = target(url)
        return found

    async def connection(self, to: Target, timeout_s: float) -> Connection:
        """A connection lent until ``release`` or ``discard``; within ``timeout_s`` (a wait
        for a free slot included), else ``TimeoutError``."""
        key = (to.host, to.port, to.tls)
        end = self._endpoints.get(key)
        if end is None:
            end = self._endpoints[key] = Endpoint()
        if end.busy < self._limit and not end.turns:
            end.busy += 1
        else:
            timeout_s = await self._turn(end, timeout_s)
        idle, now = end.idle, time.monotonic()
        while idle:
            conn = idle.pop()
            if not conn.lost and now - conn.idle_since < IDLE_S:
                self._lent[conn] = end
                return conn
            conn.close()
        try:
            conn = await self._open(to, timeout_s)
        except BaseException:
            self._free(end)
            raise
        self._lent[conn] = end
        return conn

    async def _turn(self, end: Endpoint, timeout_s: float) -> float:
        """Waits for a slot another request frees; what is left of ``timeout_s``."""
        loop = asyncio.get_running_loop()
        turn = loop.create_future()
        end.turns.append(turn)
        start = loop.time()
        timer = loop.call_later(timeout_s, expire, turn)
        try:
            await turn
        except BaseException:
            if turn.done() and not turn.cancelled() and turn.exception() is None:
                self._free(end)  # handed a slot just as the caller left: the next one's
            else:
                with suppress(ValueError):
                    end.turns.remove(turn)
            raise
        finally:
            timer.cancel()
        return max(timeout_s - (loop.time() - start), 0.0)

    async def _open(self, to: Target, timeout_s: float) -> Connection:
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

    def _free(self, end: Endpoint) -> None:
        while end.turns:
            turn = end.turns.popleft()
            if not turn.done():  # else timed out, leaving the queue
                turn.set_result(None)
                return
        end.busy -= 1

    def release(self, conn: Connection) -> None:
        """Back to the pool if its reply ended and both sides keep it alive; closed else."""
        end = self._lent.pop(conn, None)
        if end is None:  # released already
            conn.close()
            return
        if conn.reusable and len(end.idle) < IDLE_PER_HOST:
            conn.idle_since = time.monotonic()
            end.idle.append(conn)
        else:
            conn.close()
        self._free(end)

    def discard(self, conn: Connection) -> None:
        """Closed (a call that stopped before its reply ended); its slot is free."""
        conn.close()
        self.release(conn)

    def close(self) -> None:
        for end in self._endpoints.values():
            for conn in end.idle:
                conn.close()
            end.idle.clear()
            for turn in end.turns:
                if not turn.done():
                    turn.set_exception(ConnectionResetError("the provider client is closing"))
