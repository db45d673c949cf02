"""Put the original values back into the model's answer, whole or streamed.

Only placeholders of this conversation's mapping are replaced; anything else that looks like
one is left as written. The streaming restorer holds back at most one possible placeholder
prefix (a few characters) so a placeholder split across SSE chunks is still restored.
Inside JSON (tool-call arguments, structured outputs) a placeholder stands in a JSON string, so
``in_json`` puts the value back JSON-escaped: the arguments stay valid JSON whatever the value.
"""

from __future__ import annotations

import json

from redaction.mapping import Mapping
from redaction.placeholders import OPEN, could_be_prefix, find_placeholders


def restore(text: str, mapping: Mapping, *, in_json: bool = False) -> str:
    """``text`` with every placeholder of ``mapping`` replaced by its original value
    (``in_json``: escaped for the inside of a JSON string)."""
    if OPEN not in text:
        return text
    parts: list[str] = []
    position = 0
    for start, end, _ in find_placeholders(text):
        value = mapping.original(text[start:end])
        if value is not None:
            if in_json:
                value = json.dumps(value, ensure_ascii=False)[1:-1]
            parts.append(text[position:start])
            parts.append(value)
            position = end
    parts.append(text[position:])
    return "".join(parts)


class StreamRestorer:
    """Restore a streamed answer chunk by chunk: ``feed`` each delta, then ``flush`` once.

    The concatenation of everything returned equals ``restore(whole_answer, mapping)``.
    """

    def __init__(self, mapping: Mapping, *, in_json: bool = False) -> None:
        self._mapping = mapping
        self._in_json = in_json
        self._pending = ""

    def feed(self, delta: str) -> str:
        text = self._pending + delta
        cut = _safe_cut(text)
        self._pending = text[cut:]
        return restore(text[:cut], self._mapping, in_json=self._in_json)

    def flush(self) -> str:
        text, self._pending = self._pending, ""
        return restore(text, self._mapping, in_json=self._in_json)


def _safe_cut(text: str) -> int:
    """Length of the prefix of ``text`` that can be restored now: everything before a trailing
    opening bracket whose tail may still become a placeholder."""
    start = text.rfind(OPEN)
    if start == -1 or not could_be_prefix(text[start:]):
        return len(text)
    return start
