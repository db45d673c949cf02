"""Whole documents larger than the model's context: summarised in parts, then combined.

The chat page sends attached documents inside the user's message (``【添付: name】`` and the
text). When the conversation does not fit the model's context window, each such document is
cut at line ends into parts that do, every part is summarised by its own request through
``gateway.pipeline.chat`` (the one path to a provider: redacted, reserved against the quota,
audited with ``detail.part``, in the conversation's placeholder mapping) and the summaries,
restored, replace the document; the combined request then goes the usual way. No retrieval:
every part is read. Summaries are kept per conversation in the app state, so the next turn
(which sends the document again) does not pay for them twice.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import partial
from typing import Any

import anyio.to_thread

from gateway import pipeline
from gateway.kernel.errors import BadRequest
from gateway.kernel.principal import Principal
from gateway.kernel.settings import ModelRoute
from gateway.state import AppState

ATTACHED = "\n\n【添付: "  # how the page puts a document into a message (web/static/workspace.js)
MAX_PARTS = 30  # per document and round: a bound on what one click may spend
MAX_ROUNDS = 3  # summaries of summaries, for a document far larger than the window
PART_PROMPT = (
    "次は長い文書「{name}」を {count} 部分に分けたうちの第 {index} 部分です。あとで全体を"
    "まとめるので、この部分の内容 (決定事項・数字・日付・固有名詞・発言者) を漏らさず、"
    "元の 3 分の 1 ほどの長さに要約してください。\n\n{part}"
)


@dataclass(frozen=True, slots=True)
class Fitted:
    messages: list[dict[str, Any]]
    parts: int  # requests made for the parts (0: the conversation fitted as it was)


@dataclass(frozen=True, slots=True)
class _Call:
    """One chat turn's identity: every part request is made in its name."""

    state: AppState
    principal: Principal
    route: ModelRoute
    conversation_id: str
    use_case: str | None
    detail: dict[str, Any]


def _split_lines(text: str, size: int) -> list[str]:
    """``text`` in pieces of at most ``size`` characters, cut at line ends where possible."""
    parts: list[str] = []
    current = ""
    for line in text.splitlines(keepends=True):
        while len(line) > size:  # one line longer than a part: cut it
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:size])
            line = line[size:]
        if len(current) + len(line) > size:
            parts.append(current)
            current = ""
        current += line
    return [p for p in [*parts, current] if p.strip()]


async def _tokens(call: _Call, text: str) -> int:
    count = partial(call.state.providers.count_tokens, call.route)
    return await anyio.to_thread.run_sync(count, [{"role": "user", "content": text}], {})


async def _summarise(call: _Call, name: str, text: str, room: int, output: int) -> tuple[str, int]:
    """One round: ``text`` in parts of at most ``room`` tokens, each summarised; returns the
    summaries and the number of requests made."""
    ratio = len(text) / max(1, await _tokens(call, text))  # characters per token
    parts = _split_lines(text, max(200, int(room * ratio * 0.9)))
    if len(parts) > MAX_PARTS:
        raise BadRequest(
            f"添付の文書が長すぎます ({len(parts)} 部分、上限 {MAX_PARTS})。必要な部分に分けてください。",
            f"The document is too long ({len(parts)} parts, at most {MAX_PARTS}).",
        )
    summaries = []
    for index, part in enumerate(parts, 1):
        prompt = PART_PROMPT.format(name=name, count=len(parts), index=index, part=part)
        answer = await pipeline.chat(
            state=call.state,
            principal=call.principal,
            body={
                "model": call.route.alias,
                "messages": [{"role": "user", "content": prompt}],
                "max_tokens": output,
            },
            conversation_id=call.conversation_id,
            use_case=call.use_case,
            detail={**call.detail, "part": f"{index}/{len(parts)}"},
        )
        text_out = (answer.get("choices") or [{}])[0].get("message", {}).get("content") or ""
        summaries.append(f"［第 {index} 部の要約］\n{str(text_out).strip()}")
    return "\n\n".join(summaries), len(parts)


async def _condense(call: _Call, document: str, room: int, output: int) -> tuple[str, int]:
    """The document (its ``【添付: …】`` headers included) summarised until it fits ``room``."""
    names = "、".join(re.findall(r"【添付: (.+?)】", ATTACHED + document)) or "添付"
    text, made = document, 0
    for _ in range(MAX_ROUNDS):
        text, requests = await _summarise(call, names, text, room, output)
        made += requests
        if await _tokens(call, text) <= room:
            return f"{ATTACHED}{names} (長いため部分ごとに要約)】\n{text}", made
    raise _too_long(call)


def _too_long(call: _Call) -> BadRequest:
    window = call.state.providers.context_tokens(call.route)
    return BadRequest(
        f"文書を要約しても、モデルの上限 ({window:,} トークン) に収まりません。"
        "「新しい会話」で、必要な部分だけを添付してください。",
        f"Even summarised, the conversation exceeds the model's window ({window:,} tokens).",
    )


async def fit(
    *,
    state: AppState,
    principal: Principal,
    model: str,
    messages: list[dict[str, Any]],
    conversation_id: str,
    use_case: str | None,
    detail: dict[str, Any] | None = None,
) -> Fitted:
    """``messages`` as they can be sent to ``model``: unchanged when they fit its context,
    else with each attached document replaced by its summary in parts."""
    route = state.settings.route(model)
    if route is None:  # the pipeline refuses it with its own message
        return Fitted(messages, 0)
    call = _Call(state, principal, route, conversation_id, use_case, detail or {})
    window = state.providers.context_tokens(route)
    output = min(window // 4, 4000)  # kept for the answer
    budget = window - output
    count = partial(state.providers.count_tokens, route)
    if await anyio.to_thread.run_sync(count, messages, {}) <= budget:
        return Fitted(messages, 0)
    room = budget - await _tokens(call, PART_PROMPT) - 50
    fitted, made = [dict(m) for m in messages], 0
    for message in fitted:
        content = message.get("content")
        if message.get("role") != "user" or not isinstance(content, str) or ATTACHED not in content:
            continue
        typed, _, document = content.partition(ATTACHED)
        summary, requests = await _cached(call, document, room, output)
        message["content"], made = typed + summary, made + requests
        if await anyio.to_thread.run_sync(count, fitted, {}) <= budget:
            return Fitted(fitted, made)
    raise _too_long(call)


async def _cached(call: _Call, document: str, room: int, output: int) -> tuple[str, int]:
    """A document already summarised in this conversation is not summarised again."""
    key = hashlib.sha256(
        "\0".join(
            [str(call.principal.user_id), call.conversation_id, call.route.alias, document]
        ).encode()
    ).hexdigest()
    found = call.state.digests.get(key)
    if found is not None:
        return found, 0
    summary, made = await _condense(call, document, room, output)
    call.state.digests.put(key, summary)
    return summary, made
