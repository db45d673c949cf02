"""The request boundary: what of a chat request leaves the company.

``redact_request`` walks the whole request (``redaction.fields`` decides, field by field:
redact, pseudonymise, pass or refuse), analyses every string to redact in one call in request
order, refuses blocked types wherever they occur (content, tool-call arguments, descriptions
…), swaps what it found for the conversation's placeholders and returns the outgoing body with
the mapping that restores the answer. A placeholder the client sends back (a tool result, a
pasted answer) stays that placeholder. Fail closed: any error raises and nothing partially
redacted is returned. The audit stores ``Outgoing.body``: what left, never the raw values.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson

from gateway.kernel.errors import BadRequest
from gateway.kernel.plain import deep_copy
from redaction import fields
from redaction.analysis import FairLimiter, analyze_texts
from redaction.cache import AnalysisCache
from redaction.engine import Redactor
from redaction.entities import Entity
from redaction.errors import FieldRefused, Finding, RedactionBlocked, RedactionFailed
from redaction.mapping import Mapping
from redaction.mentions import mentions
from redaction.placeholders import OPEN, find_placeholders
from redaction.profile import RedactionProfile
from redaction.responses import ChunkRestorer, restore_response
from redaction.service import substitute_mentions
from redaction.vault import Vault
from redaction.walk import Slot


def check_text(body: dict[str, Any]) -> None:
    """JSON may escape a lone surrogate (``\\ud800``); it is no character, so neither redaction
    nor a provider can take it: the caller's error, not the gateway's."""
    try:
        orjson.dumps(body)
    except TypeError as exc:
        raise BadRequest(
            "リクエストに Unicode として正しくない文字 (対になっていないサロゲート) が含まれています。",
            f"The request contains text that is not valid Unicode (a lone surrogate): {exc}",
        ) from exc


@dataclass(frozen=True, slots=True)
class Outgoing:
    """The request as it leaves, the mapping to restore its answer, what was replaced."""

    body: dict[str, Any]
    mapping: Mapping
    counts: dict[str, int]
    json_content: bool  # the answer's content is JSON (structured outputs): restore escaped
    usage_chunk: bool  # the client asked for the final usage chunk of a stream

    def restore(self, response: dict[str, Any]) -> dict[str, Any]:
        """Restore a whole answer in place (every choice, every field the model writes)."""
        return restore_response(response, self.mapping, json_content=self.json_content)

    def stream_restorer(self) -> ChunkRestorer:
        """A restorer for this request's streamed answer."""
        return ChunkRestorer(self.mapping, json_content=self.json_content, usage=self.usage_chunk)


@dataclass(frozen=True, slots=True)
class Redacted:
    """A messages-only request, redacted (``redact_messages``)."""

    messages: list[dict[str, Any]]
    mapping: Mapping
    counts: dict[str, int]


@lru_cache(maxsize=4096)  # the same few people all day: one HMAC each, not one per request
def pseudonym(secret: str, principal_id: int | str) -> str:
    """The stable, opaque id the provider sees as ``user``: an HMAC of the principal (never the
    e-mail), domain-separated from the secret's other uses."""
    message = f"kakehashi-user-pseudonym\0{principal_id}".encode()
    return "kk-" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def _outside_placeholders(text: str, entities: list[Entity]) -> list[Entity]:
    """``entities`` minus any well-formed placeholder inside them: a placeholder sent back stays
    itself (never a new placeholder for a placeholder); what is left of an entity around it
    is still redacted."""
    if OPEN not in text:
        return entities
    holes = [(start, end) for start, end, _ in find_placeholders(text)]
    out: list[Entity] = []
    for e in entities:
        pieces = [(e.start, e.end)]
        for hs, he in holes:
            pieces = [
                piece
                for s, t in pieces
                for piece in ((s, min(t, hs)), (max(s, he), t))
                if piece[0] < piece[1]
            ]
        out += [Entity(e.type, s, t, text[s:t], e.score) for s, t in pieces if text[s:t].strip()]
    return out


def _check(slots: Sequence[Slot], found: list[list[Entity]], profile: RedactionProfile) -> None:
    """Blocked types block wherever they are; an identifier holding something to redact
    (a strict slot) cannot be rewritten without changing its meaning: refused."""
    block = set(profile.block)
    findings = [
        Finding(e.type, k, e.start, e.end, slot.field)
        for k, (slot, entities) in enumerate(zip(slots, found, strict=True))
        for e in entities
        if e.type in block
    ]
    if findings:
        raise RedactionBlocked(findings)
    for slot, entities in zip(slots, found, strict=True):
        if slot.strict and entities:
            raise FieldRefused(
                slot.field,
                "名前や番号など秘匿化すべき情報を含んでいますが、この項目は置き換えると意味が変わるため送信できません。",
                "it holds something to redact (a name, a number …), and this field cannot be "
                "rewritten without changing its meaning.",
            )


async def _mapping(
    vault: Vault, conversation_id: str | None, items: list[Any], avoid: str
) -> Mapping:
    try:
        if conversation_id is None:  # a one-off request: nothing to keep for later turns
            return Mapping().assign(items, avoid=avoid) if items else Mapping()
        return await vault.update(conversation_id, lambda m: m.assign(items, avoid=avoid))
    except Exception as exc:
        raise RedactionFailed(f"vault: {type(exc).__name__}") from exc


async def redact_request(
    *,
    body: dict[str, Any],
    redactor: Redactor,
    vault: Vault,
    conversation_id: str | None,
    profile: RedactionProfile,
    pseudonym: str,
    timeout_s: float,
    limiter: FairLimiter | None = None,
    owner: str = "",
    cache: AnalysisCache | None = None,
) -> Outgoing:
    """Redact a whole Chat Completions request. Raises ``FieldRefused``, ``RedactionBlocked``,
        ``PromptTooLarge`` or ``RedactionFailed``; ``body`` is not mutated. ``owner`` (the user)
        queues the analysis behind the owner's own (``redaction.analysis``); texts whose findings
    ``cache`` holds are not analysed again."""
    out = deep_copy(body)
    walk = fields.walk(out, pseudonym=pseudonym, images=profile.allow_images)
    texts = [slot.text for slot in walk.slots]
    if not texts or not profile.wanted():
        # Nothing to find, so nothing to block, refuse or replace (issue 18: redaction off);
        # the walk above still refused unknown fields and set ``user``, and the vault still
        # hands back the conversation's mapping, to restore the placeholders of earlier turns.
        mapping = await _mapping(vault, conversation_id, [], "")
        walk.finish()
        return Outgoing(out, mapping, {}, walk.json_content, walk.usage_chunk)
    found = await analyze_texts(
        texts,
        redactor=redactor,
        profile=profile,
        timeout_s=timeout_s,
        limiter=limiter,
        owner=owner,
        cache=cache,
    )
    redact = set(profile.redact) | set(profile.block)
    found = [
        _outside_placeholders(text, [e for e in entities if e.type in redact])
        for text, entities in zip(texts, found, strict=True)
    ]
    _check(walk.slots, found, profile)
    # Which part of each finding a placeholder replaces: made once, for the mapping and the text.
    placed = [mentions(text, entities) for text, entities in zip(texts, found, strict=True)]
    items = [m.item for text_mentions in placed for m in text_mentions]
    mapping = await _mapping(vault, conversation_id, items, "\n".join(texts))
    for slot, text_mentions in zip(walk.slots, placed, strict=True):
        if text_mentions:
            slot.put(substitute_mentions(slot.text, text_mentions, mapping))
    walk.finish()
    counts = Counter(e.type.value for entities in found for e in entities) if any(found) else {}
    return Outgoing(out, mapping, dict(counts), walk.json_content, walk.usage_chunk)


async def redact_messages(*, messages: list[dict[str, Any]], **kwargs: Any) -> Redacted:
    """``redact_request`` for a request of messages only (the same walk, the same analysis);
    keyword arguments as ``redact_request``'s, without ``body`` and ``pseudonym``."""
    out = await redact_request(body={"messages": messages}, pseudonym="", **kwargs)
    return Redacted(out.body["messages"], out.mapping, out.counts)
