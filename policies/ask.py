"""What one chat request may consume, read from its body: every token-carrying input, the
number of choices and the output bound. Bad bounds are a 400 here, before anything is held.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gateway.kernel.errors import BadRequest

# Inputs besides the messages that the provider turns into prompt tokens.
TOKEN_FIELDS = (
    "tools",
    "functions",
    "response_format",
    "tool_choice",
    "function_call",
    "prediction",
)
_BOUNDS = ("max_tokens", "max_completion_tokens")


@dataclass(frozen=True, slots=True)
class Ask:
    """What one request may consume: ``choices`` completions of at most ``output`` tokens
    (None: the policy's default) for a prompt of ``messages`` plus ``extra``."""

    messages: list[dict[str, Any]]
    extra: dict[str, Any]
    choices: int
    output: int | None


def _positive(body: dict[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value is None:
        return None
    if type(value) is not int or value < 1:
        raise BadRequest(
            f"{name} は 1 以上の整数で指定してください（指定値: {value!r}）。",
            f"{name} must be an integer of at least 1 (got {value!r}).",
        )
    return value


def ask(body: dict[str, Any]) -> Ask:
    """The request's ``Ask``; a bad ``n``, ``max_tokens`` or ``max_completion_tokens`` is a 400.
    With both bounds given the larger one is reserved (``bounded`` forwards it)."""
    bounds = [b for b in (_positive(body, name) for name in _BOUNDS) if b is not None]
    extra = {k: body[k] for k in TOKEN_FIELDS if body.get(k) is not None}
    messages = body.get("messages") or []
    return Ask(messages, extra, _positive(body, "n") or 1, max(bounds, default=None))


def bounded(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` (checked by ``ask``) with both output bounds, when it names both, set to the
    larger one, the one reserved: whichever the provider honours, it cannot exceed the hold."""
    if not all(body.get(name) is not None for name in _BOUNDS):
        return body
    return {**body, **dict.fromkeys(_BOUNDS, max(body[name] for name in _BOUNDS))}
