"""The streaming half of a chat request, after the first chunk arrived: every chunk restored
(``redaction.responses``) and framed as SSE; a failure after the headers went out is reported
in-band, as OpenAI does. The pipeline (``gateway.pipeline``) starts it and hands it ``finish``,
its settle-and-audit step, which runs however the stream ends. ``kept`` saves the answer of a
workspace conversation once it has streamed. ``SSEResponse`` sends it: the last piece
(``Last``) ends the HTTP response in the same write.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
import orjson
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from gateway.exchange import Exchange
from gateway.kernel import errors
from gateway.kernel.settings import ModelRoute
from gateway.kernel.vocab import Outcome
from gateway.workspace.conversations import Keep
from redaction.boundary import Outgoing
from redaction.responses import ChunkRestorer

log = logging.getLogger(__name__)

_DONE = b"data: [DONE]\n\n"


class Last(bytes):
    """The final piece of a stream (the end chunk and ``[DONE]``, or an in-band error): the
    response ends with it, and the settle and audit of the request ran before it."""


def _usage_only(chunk: dict[str, Any]) -> bool:
    return not chunk.get("choices") and chunk.get("usage") is not None


def _sse(chunk: dict[str, Any]) -> bytes:
    return b"data: " + orjson.dumps(chunk) + b"\n\n"


async def relay(
    ex: Exchange,
    route: ModelRoute,
    first: list[dict[str, Any]],
    upstream: AsyncIterator[list[dict[str, Any]]],
    restorer: ChunkRestorer,
    *,
    finish: Callable[[], Awaitable[None]],
) -> AsyncIterator[bytes]:
    """The provider's chunks from the group ``first`` on, restored, as SSE: each group the
    provider read at once goes out as one write (a per-chunk write cost more than all the
    JSON of the chunk; bench/overhead, issue 18), and the group that ends with the usage chunk
    goes out with the end of the stream. ``finish`` (settle and audit, the pipeline's) runs
    when the stream ends, fails or the client goes away."""
    alias = route.alias
    out: list[bytes] = []  # not yet sent
    try:
        group: list[dict[str, Any]] | None = first
        while group is not None:
            for chunk in group:
                chunk["model"] = alias
                ex.took(chunk)
                out += [_sse(piece) for piece in restorer.chunk(chunk)]
            # OpenAI's usage chunk is the last before [DONE], which is mostly in the same read:
            # held, it leaves with the end in one write rather than two (issue 18).
            if out and not _usage_only(group[-1]):
                yield b"".join(out)
                out = []
            group = await anext(upstream, None)
        tail = b"".join([*out, *(_sse(piece) for piece in restorer.end()), _DONE])
        ex.outcome, ex.status = Outcome.OK, 200
    except errors.KakehashiError as exc:
        # Headers are already sent: report in-band, as OpenAI does, and end the stream properly
        # (clients wait for [DONE]).
        ex.fail(exc)
        tail = b"".join([*out, _sse(exc.to_openai()), _DONE])
    except BaseException as exc:
        ex.fail(exc)
        raise
    finally:
        await finish()
    # After ``finish``: the response ends with this piece, in one write (an empty end message
    # of its own cost a send through every middleware and a syscall per stream; issue 18).
    yield Last(tail)


async def kept(
    relay: AsyncIterator[bytes], ex: Exchange, redacted: Outgoing, keep: Keep
) -> AsyncIterator[bytes]:
    """The relay, then ``keep`` with the answer as it arrived (placeholders, not names), before
    the last piece; a stopped answer is kept as far as it came, like the page shows it."""
    saved = False

    async def save() -> None:
        nonlocal saved
        saved = True
        answer = "".join(ex.answer)
        if ex.outcome == Outcome.OK or (ex.outcome == Outcome.CANCELLED and answer):
            with anyio.CancelScope(shield=True):
                await keep(redacted.body["messages"], answer, redacted.mapping)

    try:
        async for piece in relay:
            if isinstance(piece, Last):
                await save()
            yield piece
    finally:
        if not saved:
            await save()


class SSEResponse(StreamingResponse):
    """A relayed stream as ``text/event-stream``: starlette's streaming response, but the
    ``Last`` piece ends the response in the same write, and the stream runs in the request's
    own task under a cancel scope that a plain watcher task cancels when the client goes away
    (starlette's task group of two for the same cost ~2 % of the CPU of a streamed request;
    issue 18). The cancellation is anyio's, so the shielded settle and audit still run."""

    media_type = "text/event-stream"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        spec = scope.get("asgi", {}).get("spec_version", "2.0")
        if scope["type"] != "http" or tuple(map(int, spec.split("."))) >= (2, 4):
            await super().__call__(scope, receive, send)  # sends fail once the client is gone
            return
        with anyio.CancelScope() as stream:

            async def watch() -> None:
                while (await receive())["type"] != "http.disconnect":
                    pass
                stream.cancel()

            watcher = asyncio.get_running_loop().create_task(watch())
            watcher.add_done_callback(_watcher_failed)
            try:
                await self.stream_response(send)
            finally:
                watcher.cancel()
        if self.background is not None:
            await self.background()

    async def stream_response(self, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code,
                    "headers": self.raw_headers})  # fmt: skip
        ended = False
        async for piece in self.body_iterator:  # on to the iterator's own end: its finally ran
            if not ended:
                ended = isinstance(piece, Last)
                await send({"type": "http.response.body", "body": piece, "more_body": not ended})
        if not ended:
            await send({"type": "http.response.body", "body": b"", "more_body": False})


def _watcher_failed(task: asyncio.Task[None]) -> None:
    """The watcher is cancelled, never awaited (awaiting it inside a cancelled scope would be
    cancelled too): a failure of its ``receive`` is logged here rather than lost."""
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.warning("client disconnect watcher failed: %r", exc)
