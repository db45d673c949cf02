"""Restore OpenAI-shaped answers everywhere the model writes: whole responses and SSE chunks.

Restored: message ``content`` (JSON-escaped when it is a structured output), ``refusal``,
``tool_calls[].function.arguments`` and legacy ``function_call.arguments`` (JSON-escaped:
a placeholder stands inside a JSON string there), custom tool ``input``, audio transcripts;
in every choice. A streamed field may split a placeholder across chunks, so each choice, field
and tool call keeps its own ``StreamRestorer``; what one still holds is emitted with its
choice's finish chunk, or in a chunk of our own before the usage chunk or at the end when
the provider sent no finish. The text-level work is ``redaction.restore``.
"""

from __future__ import annotations

from typing import Any

from redaction.mapping import Mapping
from redaction.placeholders import OPEN
from redaction.restore import StreamRestorer, restore

# (choice index, field, tool-call index): one restorer per stream of text the model writes.
_Key = tuple[int, str, int]


def _restore_call(call: dict[str, Any], mapping: Mapping) -> None:
    function = call.get("function") or call
    if isinstance(function.get("arguments"), str):
        function["arguments"] = restore(function["arguments"], mapping, in_json=True)
    custom = call.get("custom") or {}
    if isinstance(custom.get("input"), str):
        custom["input"] = restore(custom["input"], mapping)


def restore_message(message: dict[str, Any], mapping: Mapping, *, json_content: bool) -> None:
    """Restore one choice's message in place."""
    if isinstance(message.get("content"), str):
        message["content"] = restore(message["content"], mapping, in_json=json_content)
    if isinstance(message.get("refusal"), str):
        message["refusal"] = restore(message["refusal"], mapping)
    for call in message.get("tool_calls") or []:
        _restore_call(call, mapping)
    if isinstance(message.get("function_call"), dict):
        _restore_call(message["function_call"], mapping)
    audio = message.get("audio")
    if isinstance(audio, dict) and isinstance(audio.get("transcript"), str):
        audio["transcript"] = restore(audio["transcript"], mapping)


def restore_response(
    response: dict[str, Any], mapping: Mapping, *, json_content: bool = False
) -> dict[str, Any]:
    """Restore every choice in place; returns ``response``."""
    if not mapping.values:
        return response
    for choice in response.get("choices") or []:
        restore_message(choice.get("message") or {}, mapping, json_content=json_content)
    return response


def _usage_only(chunk: dict[str, Any]) -> bool:
    return not chunk.get("choices") and chunk.get("usage") is not None


class ChunkRestorer:
    """Restore a stream of chat-completion chunks; ``chunk`` each, then ``end`` once.

    ``usage``: the client asked for the final usage chunk (``stream_options.include_usage``);
    the gateway asks the provider for it in any case, for its own accounting."""

    def __init__(self, mapping: Mapping, *, json_content: bool = False, usage: bool) -> None:
        self._mapping = mapping
        self._json_content = json_content
        self._usage = usage
        self._open: dict[_Key, StreamRestorer] = {}
        self._last: dict[str, Any] = {}  # the latest chunk: the template of one of our own

    def chunk(self, chunk: dict[str, Any]) -> list[dict[str, Any]]:
        """The chunks to send for ``chunk`` (restored in place; text may be held back)."""
        self._last = chunk
        if not _usage_only(chunk):
            if self._mapping.values:
                for choice in chunk.get("choices") or []:
                    self._choice(choice)
            return [chunk]
        return self.end() + ([chunk] if self._usage else [])

    def end(self) -> list[dict[str, Any]]:
        """A chunk with whatever is still held back, if anything (no finish was sent)."""
        choices = []
        for index in sorted({key[0] for key in self._open}):
            delta: dict[str, Any] = {}
            self._flush(index, delta)
            if delta:
                choices.append({"index": index, "delta": delta, "finish_reason": None})
        if not choices:
            return []
        template: dict[str, Any] = {
            k: self._last[k] for k in ("id", "object", "created", "model") if k in self._last
        }
        return [{**template, "choices": choices}]

    def _feed(self, key: _Key, text: str, *, in_json: bool) -> str:
        restorer = self._open.get(key)
        if restorer is None:
            if OPEN not in text:  # nothing held back and no placeholder can start here
                return text
            restorer = self._open[key] = StreamRestorer(self._mapping, in_json=in_json)
        return restorer.feed(text)

    def _choice(self, choice: dict[str, Any]) -> None:
        index = int(choice.get("index", 0))
        delta = choice.get("delta") or {}
        for name in ("content", "refusal"):
            if isinstance(delta.get(name), str):
                in_json = name == "content" and self._json_content
                delta[name] = self._feed((index, name, 0), delta[name], in_json=in_json)
        for call in delta.get("tool_calls") or []:
            function = call.get("function") or {}
            if isinstance(function.get("arguments"), str):
                key = (index, "tool", int(call.get("index", 0)))
                function["arguments"] = self._feed(key, function["arguments"], in_json=True)
        legacy = delta.get("function_call")
        if isinstance(legacy, dict) and isinstance(legacy.get("arguments"), str):
            key = (index, "function_call", 0)
            legacy["arguments"] = self._feed(key, legacy["arguments"], in_json=True)
        if choice.get("finish_reason") is not None:
            self._flush(index, delta)
            choice["delta"] = delta

    def _flush(self, index: int, delta: dict[str, Any]) -> None:
        """Move what the restorers of choice ``index`` still hold into ``delta``."""
        for key in sorted(k for k in self._open if k[0] == index):
            rest = self._open.pop(key).flush()
            if not rest:
                continue
            _, name, call_index = key
            if name in ("content", "refusal"):
                delta[name] = (delta.get(name) or "") + rest
                continue
            if name == "function_call":
                target = delta.setdefault("function_call", {})
            else:
                calls = delta.setdefault("tool_calls", [])
                entry = next((c for c in calls if c.get("index", 0) == call_index), None)
                if entry is None:
                    entry = {"index": call_index}
                    calls.append(entry)
                target = entry.setdefault("function", {})
            target["arguments"] = (target.get("arguments") or "") + rest
