"""The request pipeline: every chat request, from the web UI or the API, walks this path.

    authenticate        (the router's dependency, gateway.auth; the principal arrives here)
    -> resolve policy   policies.resolve
    -> redact           redaction.service (fail closed: nothing is sent if it fails)
    -> call provider    gateway.provider
    -> restore          redaction.responses
    -> audit            audit.writer

This module only sequences stages and owns the ``try/finally`` that records the outcome on success, error and
client disconnect (the audit write is shielded from cancellation).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import anyio
import orjson

from audit.chain import EventIn
from gateway.errors import Blocked, KakehashiError, Unavailable, UnknownModel
from gateway.principal import Principal
from gateway.settings import ModelRoute
from gateway.state import AppState
from policies.resolve import ResolvedPolicy, check_model, resolve
from redaction.errors import RedactionBlocked, RedactionFailed
from redaction.responses import ChunkRestorer, restore_response
from redaction.service import Redacted, redact_messages


@dataclass
class Exchange:
    """What the pipeline learnt about one request, for the audit record."""

    principal: Principal
    model: str
    conversation_id: str | None = None
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    started: float = field(default_factory=time.perf_counter)
    policy_version: str | None = None
    resolved: ResolvedPolicy | None = None
    usage: dict[str, int] = field(default_factory=dict)
    redactions: dict[str, int] = field(default_factory=dict)
    detail: dict[str, Any] = field(default_factory=dict)
    outcome: str = "error"
    status: int = 500
    error_code: str | None = None

    def fail(self, exc: BaseException) -> None:
        if isinstance(exc, KakehashiError):
            self.outcome, self.status, self.error_code = "refused", exc.status, exc.code
            if exc.status >= 500:
                self.outcome = "error"
        elif isinstance(exc, anyio.get_cancelled_exc_class() | GeneratorExit):
            self.outcome, self.status, self.error_code = "cancelled", 499, "client_disconnected"
        else:
            self.outcome, self.status, self.error_code = "error", 500, "internal_error"


def _route(state: AppState, resolved: ResolvedPolicy, ex: Exchange) -> ModelRoute:
    route = state.settings.route(ex.model)
    if route is None:
        raise UnknownModel(
            f"モデル {ex.model!r} はありません。/v1/models で使えるモデルを確認してください。",
            f"The model {ex.model!r} does not exist; GET /v1/models lists yours.",
        )
    check_model(resolved=resolved, alias=ex.model, department=ex.principal.department)
    return route


async def _record(state: AppState, ex: Exchange) -> None:
    event = EventIn(
        event_type="chat.completion",
        outcome=ex.outcome,
        status_code=ex.status,
        error_code=ex.error_code,
        request_id=ex.request_id,
        user_email=ex.principal.email,
        department=ex.principal.department,
        role=ex.principal.role.value,
        model=ex.model,
        prompt_tokens=ex.usage.get("prompt_tokens", 0),
        completion_tokens=ex.usage.get("completion_tokens", 0),
        latency_ms=round((time.perf_counter() - ex.started) * 1000),
        policy_version=ex.policy_version,
        redactions=ex.redactions,
        detail=ex.detail,
    )
    with anyio.CancelScope(shield=True):
        await state.audit.append(event)


def _prepare(state: AppState, ex: Exchange) -> ModelRoute:
    resolved = resolve(policies=state.policies, principal=ex.principal)
    ex.policy_version, ex.resolved = resolved.version, resolved
    return _route(state, resolved, ex)


async def _redact(state: AppState, ex: Exchange, body: dict[str, Any]) -> Redacted:
    """Every message, every turn; the redaction errors become the gateway's refusals."""
    if state.redaction is None or ex.resolved is None:
        raise Unavailable(
            "秘匿化が利用できないため送信しません。", "Redaction is unavailable; nothing was sent."
        )
    # Placeholders stay consistent across the turns of one conversation of one user.
    conversation = f"{ex.principal.user_id}:{ex.conversation_id or ex.request_id}"
    try:
        redacted = await redact_messages(
            redactor=state.redaction.redactor,
            vault=state.redaction.vault,
            conversation_id=conversation,
            messages=body["messages"],
            profile=ex.resolved.policy.redaction,
            timeout_s=state.settings.redaction_timeout_s,
            limiter=state.redaction.limiter,
        )
    except RedactionBlocked as exc:
        ex.detail["blocked"] = sorted({f.type.value for f in exc.findings})
        raise Blocked(exc.ja, exc.en) from exc
    except RedactionFailed as exc:
        raise Unavailable(exc.ja, exc.en) from exc
    ex.redactions = redacted.counts
    return redacted


async def chat(
    *,
    state: AppState,
    principal: Principal,
    body: dict[str, Any],
    conversation_id: str | None = None,
) -> dict[str, Any]:
    """A non-streaming completion; returns the OpenAI response body."""
    ex = Exchange(principal=principal, model=str(body["model"]), conversation_id=conversation_id)
    try:
        route = _prepare(state, ex)
        redacted = await _redact(state, ex, body)
        outgoing = {**body, "messages": redacted.messages}
        response = await state.providers.for_route(route).complete(route, outgoing)
        restore_response(response, redacted.mapping)
        ex.usage = response.get("usage") or {}
        response["model"] = route.alias
        ex.outcome, ex.status = "ok", 200
        return response
    except BaseException as exc:
        ex.fail(exc)
        raise
    finally:
        await _record(state, ex)


async def chat_stream(
    *,
    state: AppState,
    principal: Principal,
    body: dict[str, Any],
    conversation_id: str | None = None,
) -> AsyncIterator[bytes]:
    """A streaming completion. Errors before the first chunk raise (a proper HTTP status);
    the returned iterator yields SSE bytes and records the outcome when it ends."""
    ex = Exchange(principal=principal, model=str(body["model"]), conversation_id=conversation_id)
    try:
        route = _prepare(state, ex)
        redacted = await _redact(state, ex, body)
        outgoing = {**body, "messages": redacted.messages}
        upstream = aiter(state.providers.for_route(route).stream(route, outgoing))
        first = await anext(upstream)
    except BaseException as exc:
        ex.fail(exc)
        await _record(state, ex)
        raise
    return _relay(state, ex, route, first, upstream, ChunkRestorer(redacted.mapping))


def dumps(body: dict[str, Any]) -> bytes:
    return orjson.dumps(body)


def _sse(chunk: dict[str, Any]) -> bytes:
    return b"data: " + orjson.dumps(chunk) + b"\n\n"


async def _relay(
    state: AppState,
    ex: Exchange,
    route: ModelRoute,
    first: dict[str, Any],
    upstream: AsyncIterator[dict[str, Any]],
    restorer: ChunkRestorer,
) -> AsyncIterator[bytes]:
    try:
        chunk: dict[str, Any] | None = first
        while chunk is not None:
            chunk["model"] = route.alias
            if chunk.get("usage"):
                ex.usage = chunk["usage"]
            yield _sse(restorer.chunk(chunk))
            chunk = await anext(upstream, None)
        tail = restorer.tail(route.alias)
        if tail is not None:
            yield _sse(tail)
        yield b"data: [DONE]\n\n"
        ex.outcome, ex.status = "ok", 200
    except KakehashiError as exc:
        # Headers are already sent: report in-band, as OpenAI does.
        ex.fail(exc)
        yield _sse(exc.to_openai())
    except BaseException as exc:
        ex.fail(exc)
        raise
    finally:
        await _record(state, ex)
