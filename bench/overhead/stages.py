"""A timed Kakehashi for profiling: the real app from ``create_app_from_env``, with wall-clock
timers wrapped around its stages from the outside (no gateway code changes).

Run by ``bench.overhead.profile`` as ``uvicorn bench.overhead.stages:app --factory``. Each worker
appends one JSON line per request to ``$BENCH_STAGES_OUT/<pid>.jsonl``:
``{"t": end time, "total": s, "auth": s, "chat": s, "upstream": s, "audit": s}``.

``$BENCH_WHATIF`` (comma-separated) measures a proposed change without making it:
``audit_nowait`` queues the audit event and answers without waiting for its commit; it differs
from the current code only with ``audit_wait_for_commit: true`` (answering once queued is now the
default). ``nofsync``: the audit intent without its fdatasync (what the durability costs; not a
change to make). ``threaded``: every intent through the spool thread, as before issue 18's
write on the event loop for a request alone. (The API-key cache it once measured is now in the gateway: "auth" counts only the
lookups a request waited for.)
"""

from __future__ import annotations

import asyncio
import atexit
import contextvars
import json
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import audit.writer
import gateway.identity.keycache
import gateway.pipeline
import gateway.provider.openai
from gateway.http.app import create_app_from_env

_stage: contextvars.ContextVar[dict[str, float] | None] = contextvars.ContextVar(
    "bench_stage", default=None
)
_lines: list[str] = []
_WHATIF = set(filter(None, os.environ.get("BENCH_WHATIF", "").split(",")))


def _flush() -> None:
    out = os.environ.get("BENCH_STAGES_OUT")
    if out and _lines:
        with (Path(out) / f"{os.getpid()}.jsonl").open("a") as file:
            file.write("".join(_lines))
        _lines.clear()


atexit.register(_flush)

AsyncFn = Callable[..., Awaitable[Any]]


def _timed(name: str, fn: AsyncFn) -> AsyncFn:
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await fn(*args, **kwargs)
        finally:
            stages = _stage.get()
            if stages is not None:
                stages[name] = stages.get(name, 0.0) + time.perf_counter() - started

    return wrapper


def _audit_nowait(original: AsyncFn) -> AsyncFn:
    async def append(self: Any, event: Any) -> int:
        if self._task is None:
            result: int = await original(self, event)
            return result
        done = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(audit.writer._Pending(event, done))
        return 0

    return append


def _patch() -> None:
    # A request's wait for its key: ~0 on a hit; background refreshes are not counted.
    cache = gateway.identity.keycache.KeyCache
    cache.principal = _timed("auth", cache.principal)  # type: ignore[method-assign,assignment]
    gateway.pipeline.chat = _timed("chat", gateway.pipeline.chat)  # type: ignore[assignment]
    compat = gateway.provider.openai.OpenAICompatible
    compat.complete = _timed("upstream", compat.complete)  # type: ignore[method-assign,assignment]
    writer = audit.writer.AuditWriter
    writer.intend = _timed("intend", writer.intend)  # type: ignore[method-assign]
    append: AsyncFn = audit.writer.AuditWriter.append
    if "audit_nowait" in _WHATIF:
        append = _audit_nowait(append)
    if "nofsync" in _WHATIF:  # what the intent's fdatasync costs (issue 17 forbids the change)
        os.fdatasync = lambda _fd: None
    if "threaded" in _WHATIF:  # every intent through the spool thread, as before issue 18
        original = writer.intend

        async def threaded(self: Any, *args: Any, **kwargs: Any) -> None:
            await original(self, *args, **{**kwargs, "alone": False})

        writer.intend = threaded  # type: ignore[method-assign]
    audit.writer.AuditWriter.append = _timed("audit", append)  # type: ignore[method-assign,assignment]


def app() -> Any:
    _patch()
    inner = create_app_from_env()

    async def timed_app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            # uvicorn's worker processes end with os._exit (no atexit): flush on shutdown.
            async def send_and_flush(message: Any) -> None:
                if message["type"] == "lifespan.shutdown.complete":
                    _flush()
                await send(message)

            await inner(scope, receive, send_and_flush)
            return
        if scope["type"] != "http":
            await inner(scope, receive, send)
            return
        stages: dict[str, float] = {}
        token = _stage.set(stages)
        started = time.perf_counter()
        try:
            await inner(scope, receive, send)
        finally:
            _stage.reset(token)
            stages["total"] = time.perf_counter() - started
            stages["t"] = time.time()
            _lines.append(json.dumps(stages) + "\n")
            if len(_lines) >= 500:
                _flush()

    return timed_app
