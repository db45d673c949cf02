"""Restore OpenAI-shaped answers: whole responses and SSE chunks.

The pipeline hands provider output here; the text-level work is ``redaction.restore``. A
streamed choice may split a placeholder across chunks, so each choice index keeps its own
``StreamRestorer``; what it still holds is emitted with that choice's finish chunk (or in a
last chunk of our own if the provider never sent one).
"""

from __future__ import annotations

from typing import Any

from redaction.mapping import Mapping
from redaction.restore import StreamRestorer, restore


def restore_response(response: dict[str, Any], mapping: Mapping) -> dict[str, Any]:
    """Restore every choice's message content in place; returns ``response``."""
    if not mapping.values:
        return response
    for choice in response.get("choices") or []:
        message = choice.get("message") or {}
        if isinstance(message.get("content"), str):
            message["content"] = restore(message["content"], mapping)
    return response


class ChunkRestorer:
    """Restore a stream of chat-completion chunks, one ``StreamRestorer`` per choice."""

    def __init__(self, mapping: Mapping) -> None:
        self._mapping = mapping
        self._open: dict[int, StreamRestorer] = {}
        self._template: dict[str, Any] = {}

    def chunk(self, chunk: dict[str, Any]) -> dict[str, Any]:
        """Restore ``chunk`` in place (content may be held back); returns it."""
        if not self._mapping.values:
            return chunk
        self._template = {k: v for k, v in chunk.items() if k in ("id", "object", "created")}
        for choice in chunk.get("choices") or []:
            index = int(choice.get("index", 0))
            restorer = self._open.setdefault(index, StreamRestorer(self._mapping))
            delta = choice.get("delta") or {}
            text = restorer.feed(delta["content"]) if isinstance(delta.get("content"), str) else ""
            if choice.get("finish_reason") is not None:
                text += restorer.flush()
                del self._open[index]
            if text or "content" in delta:
                delta["content"] = text
                choice["delta"] = delta
        return chunk

    def tail(self, model: str) -> dict[str, Any] | None:
        """A final chunk with whatever is still held back, if anything."""
        choices = []
        for index, restorer in sorted(self._open.items()):
            text = restorer.flush()
            if text:
                choices.append({"index": index, "delta": {"content": text}})
        self._open.clear()
        if not choices:
            return None
        return {**self._template, "model": model, "choices": choices}
