"""Prompt tokens of a route that speaks the OpenAI wire format, without importing litellm (issue 18).

A quota limit needs the prompt counted before the call. Through litellm that imported the whole
package in each worker on its first counted request (~5 s of CPU and ~270 MB, private to the
worker). Its tokenizer for these models is tiktoken, with the encoding files litellm bundles in
its package (``TIKTOKEN_CACHE_DIR``, so nothing is ever downloaded): here tiktoken is used
directly with those files (~0.5 s and ~30–80 MB for the encoding, once per process), and the
messages are counted with OpenAI's published arithmetic for chat prompts, as litellm does: 3
tokens per message, 1 more for a ``name``, 3 to prime the reply, the text of each string field,
text parts and tool-call arguments. Texts are encoded in 1,024-character pieces (tiktoken is
quadratic on long runs of one character; litellm cuts at the same length, so the
counts agree). The model picks the
encoding: o200k for the gpt-4o family, tiktoken's own table for other OpenAI names, cl100k for
anything else (a model behind an OpenAI-compatible endpoint: an estimate, which the provider's
reported usage settles). A message shape counted otherwise (images, files, audio) returns
``None`` and the caller counts through litellm. tests/gateway/test_tokens.py compares the
counts with ``litellm.token_counter``.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

TOKENS_PER_MESSAGE = 3
TOKENS_PER_NAME = 1
REPLY_PRIMING = 3
PIECE_CHARS = 1024

_lock = threading.Lock()
_encodings: dict[str, Any] = {}


def bundled_dir() -> Path:
    """litellm's bundled tiktoken files, located without importing litellm."""
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("litellm is not installed: its tokenizer files are missing")
    return Path(next(iter(spec.submodule_search_locations))) / "litellm_core_utils" / "tokenizers"


def encoding_name(model: str) -> str:
    import tiktoken

    if "gpt-4o" in model:
        return "o200k_base"
    try:
        return str(tiktoken.encoding_name_for_model(model))
    except KeyError:
        return "cl100k_base"


def _encoding(name: str) -> Any:
    encoding = _encodings.get(name)
    if encoding is None:
        with _lock:  # first counts arrive from several worker threads at once
            encoding = _encodings.get(name)
            if encoding is None:
                # Read the bundled files, never the network (the variable is read per load).
                os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(bundled_dir()))
                import tiktoken

                encoding = _encodings[name] = tiktoken.get_encoding(name)
    return encoding


def count_text(model: str, text: str) -> int:
    encode = _encoding(encoding_name(model)).encode_ordinary
    return sum(len(encode(text[i : i + PIECE_CHARS])) for i in range(0, len(text), PIECE_CHARS))


def _field(model: str, key: str, value: Any) -> int | None:
    if value is None:
        return 0
    if isinstance(value, str):
        return count_text(model, value) + (TOKENS_PER_NAME if key == "name" else 0)
    if key == "tool_calls" and isinstance(value, list):
        return _texts(model, [_arguments(call) for call in value])
    if key == "function_call" and isinstance(value, Mapping):
        return count_text(model, str(value.get("arguments", "")))
    if key == "content" and isinstance(value, list):
        return _texts(model, [_text(part) for part in value])
    if isinstance(value, list):  # search results and other lists: litellm knows them
        return None
    return 0  # other fields (numbers, a dict content): no prompt text, as litellm counts them


def _arguments(call: Any) -> str | None:
    function = call.get("function") if isinstance(call, Mapping) else None
    return str(function.get("arguments", "")) if isinstance(function, Mapping) else None


def _text(part: Any) -> str | None:
    """A text part's text; ``None`` for images, files, audio (litellm sizes them)."""
    if isinstance(part, str):
        return part
    if isinstance(part, Mapping) and part.get("type") == "text":
        return str(part.get("text", ""))
    return None


def _texts(model: str, texts: list[str | None]) -> int | None:
    if any(t is None for t in texts):
        return None
    return sum(count_text(model, str(t)) for t in texts)


def count_messages(model: str, messages: list[dict[str, Any]]) -> int | None:
    """The prompt's tokens, or ``None`` for a shape this module does not count."""
    total = REPLY_PRIMING
    for message in messages:
        total += TOKENS_PER_MESSAGE
        for key, value in message.items():
            counted = _field(model, key, value)
            if counted is None:
                return None
            total += counted
    return total
