"""``uv run python -m bench.overhead.provider_call``: the provider call alone, one at a time, as
the gateway makes it at c=1 (``OpenAICompatible.complete`` against the mock upstream in its own
process), through ``gateway.provider.http1`` and through aiohttp as it was used before (one
pooled session, the reply read whole). Transports interleaved in blocks of ``--calls``; the
figures are this process's user and system CPU per call (getrusage) and the median wall time
of a call.

``--send-cost`` measures instead what one loopback write costs its sender when the peer has
been idle for a while: on a VM, waking a sleeping vCPU is paid inside the sender's ``send``.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import uvloop

from bench.overhead.servers import MODEL, Fleet, chat_body, start_mock
from gateway.kernel.settings import ModelRoute
from gateway.provider.openai import OpenAICompatible
from gateway.provider.transports import Http1Transport


class AiohttpTransport:
    """The transport before http1 (main at e426487 plus its tuning, ba871b3): for comparison."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[float, aiohttp.ClientTimeout] = {}

    async def fetch(
        self, url: str, *, data: bytes, headers: dict[str, str], timeout_s: float
    ) -> tuple[int, bytes]:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=512, ttl_dns_cache=300),
                trust_env=False,
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        timeout = self._timeouts.get(timeout_s)
        if timeout is None:
            timeout = aiohttp.ClientTimeout(total=None, connect=timeout_s, sock_read=timeout_s)
            self._timeouts[timeout_s] = timeout
        response = await self._session.post(url, data=data, headers=headers, timeout=timeout)
        try:
            return response.status, await response.read()
        except BaseException:
            response.close()
            raise

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


def _cpu() -> tuple[float, float]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime, usage.ru_stime


async def _calls(base_url: str, rounds: int, calls: int) -> None:
    route = ModelRoute(alias=MODEL, model=f"openai/{MODEL}", api_base=base_url)
    body = chat_body(stream=False)
    providers: dict[str, Any] = {
        "aiohttp": OpenAICompatible(AiohttpTransport()),  # type: ignore[arg-type]  # fetch only
        "http1": OpenAICompatible(Http1Transport()),
    }
    for provider in providers.values():  # warm: connections, caches
        for _ in range(100):
            await provider.complete(route, body)
    results: dict[str, list[tuple[float, float, float]]] = {name: [] for name in providers}
    for r in range(rounds):
        order = list(providers.items())
        for name, provider in order if r % 2 == 0 else order[::-1]:
            (u0, s0), start = _cpu(), time.perf_counter()
            for _ in range(calls):
                await provider.complete(route, body)
            (u1, s1), wall = _cpu(), time.perf_counter() - start
            results[name].append(((u1 - u0) / calls, (s1 - s0) / calls, wall / calls))
    for provider in providers.values():
        await provider.aclose()
    print(f"{rounds} rounds x {calls} calls; µs per call (CPU: mean of rounds; wall: median)")
    for name, rows in results.items():
        user = statistics.mean(r[0] for r in rows) * 1e6
        system = statistics.mean(r[1] for r in rows) * 1e6
        wall = statistics.median(r[2] for r in rows) * 1e6
        print(f"{name:8} user {user:6.1f}  sys {system:5.1f}  cpu {user + system:6.1f}  "
              f"wall {wall:6.1f}")  # fmt: skip


async def _send_cost(base_url: str, gaps_us: list[int], sends: int) -> None:
    """A raw request on one kept-alive connection: time inside ``transport.write`` after the
    sender kept busy for ``gap`` µs (the mock idles meanwhile)."""
    host, port = base_url.split("//")[1].split("/")[0].split(":")
    data = orjson.dumps({**chat_body(stream=False), "model": MODEL})
    request = (
        b"POST /v1/chat/completions HTTP/1.1\r\nhost: %s\r\ncontent-type: application/json\r\n"
        b"content-length: %d\r\n\r\n" % (host.encode(), len(data))
    ) + data
    loop = asyncio.get_running_loop()

    class Reply(asyncio.Protocol):
        waiter: asyncio.Future[None]
        seen = b""

        def data_received(self, chunk: bytes) -> None:
            self.seen += chunk
            head, _, rest = self.seen.partition(b"\r\n\r\n")
            length = [ln for ln in head.lower().split(b"\r\n") if ln.startswith(b"content-length")]
            if length and len(rest) >= int(length[0].split(b":")[1]):
                self.seen = b""
                self.waiter.set_result(None)

    transport, reply = await loop.create_connection(Reply, host, int(port))
    for gap in gaps_us:
        took = []
        for _ in range(sends):
            reply.waiter = loop.create_future()
            until = time.perf_counter() + gap / 1e6
            while time.perf_counter() < until:  # busy, as the gateway is between two sends
                pass
            start = time.perf_counter()
            transport.write(request)
            took.append(time.perf_counter() - start)
            await reply.waiter
        print(f"after {gap:5d} µs busy: write median {statistics.median(took) * 1e6:6.1f} µs")
    transport.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rounds", type=int, default=40)
    p.add_argument("--calls", type=int, default=100)
    p.add_argument("--send-cost", action="store_true")
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        fleet = Fleet(Path(tmp), workers=1)
        try:
            mock = start_mock(fleet)
            if a.send_cost:
                uvloop.run(_send_cost(mock.base_url, [0, 200, 500, 1000], 1000))
            else:
                uvloop.run(_calls(mock.base_url, a.rounds, a.calls))
        finally:
            fleet.stop_all()


if __name__ == "__main__":
    main()
