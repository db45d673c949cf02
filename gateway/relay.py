"""The streaming half of a chat request, after the first chunk arrived: every chunk restored
(``redaction.responses``) and framed as SSE; a failure after the headers went out is reported
in-band, as OpenAI does. The pipeline (``gateway.pipeline``) starts it and hands it ``finish``,
its settle-and-audit step, which runs however the stream ends. ``kept`` saves the answer of a
workspace conversation once it has streamed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
import orjson

from gateway.exchange import Exchange
from gateway.kernel import errors
from gateway.kernel.settings import ModelRoute
from gateway.kernel.vocab import Outcome
from gateway.workspace.conversations import Keep
from redaction.boundary import Outgoing
from redaction.responses import ChunkRestorer


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
    JSON of the chunk; bench/overhead, issue 18). ``finish`` (settle and audit, the
    pipeline's) runs when the stream ends, fails or the client goes away."""
    alias = route.alias
    try:
        group: list[dict[str, Any]] | None = first
        while group is not None:
            out = []
            for chunk in group:
                chunk["model"] = alias
                ex.took(chunk)
                out += [_sse(piece) for piece in restorer.chunk(chunk)]
            if out:
                yield b"".join(out)
            group = await anext(upstream, None)
        yield b"".join([*(_sse(piece) for piece in restorer.end()), b"data: [DONE]\n\n"])
        ex.outcome, ex.status = Outcome.OK, 200
    except errors.KakehashiError as exc:
        # Headers are already sent: report in-band, as OpenAI does, and end the stream properly
        # (clients wait for [DONE]).
        ex.fail(exc)
        yield _sse(exc.to_openai()) + b"data: [DONE]\n\n"
    except BaseException as exc:
        ex.fail(exc)
        raise
    finally:
        await finish()


async def kept(
    relay: AsyncIterator[bytes], ex: Exchange, redacted: Outgoing, keep: Keep
) -> AsyncIterator[bytes]:
    """The relay, then ``keep`` with the answer as it arrived (placeholders, not names); a
    stopped answer is kept as far as it came, like the page shows it."""
    try:
        async for piece in relay:
            yield piece
    finally:
        answer = "".join(ex.answer)
        if ex.outcome == Outcome.OK or (ex.outcome == Outcome.CANCELLED and answer):
            with anyio.CancelScope(shield=True):
                await keep(redacted.body["messages"], answer, redacted.mapping)
