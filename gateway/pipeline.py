"""The request pipeline: every chat request, from the web UI or the API, walks this path.

    authenticate        (the router's dependency, gateway.auth; the principal arrives here)
    -> resolve policy   policies.store/resolve (model and use case; the folder hot-reloads)
    -> reserve quota    policies.quota (worst case held in every bucket; 429 when over)
    -> redact           redaction.boundary (every field; fail closed: nothing is sent if it fails)
    -> intend audit     audit.intents (the event fsync'd on local disk before sending)
    -> call provider    gateway.provider
    -> restore          redaction.responses
    -> settle quota     policies.quota (actual usage; a refund when the call failed)
    -> audit            audit.writer

This module only sequences stages and owns the ``try/finally`` that settles and records the
outcome on success, error and client disconnect (both writes are shielded from cancellation).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import anyio
import orjson

from gateway.corrections.service import with_approved
from gateway.exchange import Exchange
from gateway.kernel import errors
from gateway.kernel.principal import Principal
from gateway.kernel.settings import ModelRoute
from gateway.metrics import log_request
from gateway.state import AppState
from gateway.workspace.conversations import Keep, vault_key
from policies.ask import ask, bounded
from policies.quota import WARNING_HEADER
from policies.resolve import ResolvedPolicy, check_model, check_use_case, resolve
from redaction.boundary import Outgoing, pseudonym, redact_request
from redaction.errors import RedactionBlocked
from redaction.responses import ChunkRestorer


def _route(state: AppState, resolved: ResolvedPolicy, ex: Exchange) -> ModelRoute:
    route = state.settings.route(ex.model)
    if route is None:
        raise errors.UnknownModel(
            f"モデル {ex.model!r} はありません。/v1/models で使えるモデルを確認してください。",
            f"The model {ex.model!r} does not exist; GET /v1/models lists yours.",
        )
    check_model(resolved=resolved, alias=ex.model, department=ex.principal.department)
    return route


async def _finish(state: AppState, ex: Exchange) -> None:
    """Settle the quota hold (a refund if nothing was produced), then audit."""
    with anyio.CancelScope(shield=True):
        if ex.hold is not None:
            ex.settled = await state.quota.settle(
                ex.hold, reported=ex.usage, outcome=ex.outcome, streamed=ex.streamed
            )
        event = ex.audit_event()
        state.metrics.record(event)
        log_request(event)
        await state.audit.append(event)


def _check_text(body: dict[str, Any]) -> None:
    """JSON may escape a lone surrogate (``\\ud800``); it is no character, so neither redaction
    nor a provider can take it: the caller's error, not the gateway's."""
    try:
        orjson.dumps(body)
    except TypeError as exc:
        raise errors.BadRequest(
            "リクエストに Unicode として正しくない文字 (対になっていないサロゲート) が含まれています。",
            f"The request contains text that is not valid Unicode (a lone surrogate): {exc}",
        ) from exc


async def _prepare(
    state: AppState, ex: Exchange, body: dict[str, Any], use_case: str | None
) -> ModelRoute:
    if state.audit.failing:
        raise errors.not_sent("監査ログに書き込めない", "The audit log cannot be written")
    _check_text(body)
    await state.policies.refresh()
    resolved = resolve(policies=state.policies, principal=ex.principal)
    ex.policy_version, ex.resolved = resolved.version, resolved
    route = _route(state, resolved, ex)
    department = ex.principal.department
    ex.use_case = check_use_case(resolved=resolved, use_case=use_case, department=department)
    need = ask(body)
    ex.hold = await state.quota.reserve(
        policy=resolved.policy,
        department=department,
        user=ex.principal.email,
        count_prompt=partial(state.providers.count_tokens, route, need.messages, need.extra),
        max_tokens=need.output,
        usd_per_token=state.providers.usd_per_token(route),
        choices=need.choices,
    )
    if ex.hold.warning and ex.reply_headers is not None:
        ex.reply_headers[WARNING_HEADER] = ex.hold.warning
    return route


async def _redact(state: AppState, ex: Exchange, body: dict[str, Any]) -> Outgoing:
    """Every field of the request; the redaction errors become the gateway's refusals."""
    if state.redaction is None or ex.resolved is None:
        raise errors.not_sent("秘匿化が利用できない", "Redaction is unavailable")
    # Placeholders stay consistent across the turns of one conversation of one user.
    conversation = (
        vault_key(ex.principal.user_id, ex.conversation_id) if ex.conversation_id else None
    )
    secret = state.settings.secret_key.get_secret_value()
    async with state.sessions.begin() as session:  # names and words IT approved (issue 13)
        profile = await with_approved(
            session=session,
            profile=ex.resolved.policy.redaction,
            department=ex.principal.department,
        )
    try:
        redacted = await redact_request(
            body=body,
            redactor=state.redaction.redactor,
            vault=state.redaction.vault,
            conversation_id=conversation,
            profile=profile,
            pseudonym=pseudonym(secret, ex.principal.user_id),
            timeout_s=state.settings.redaction_timeout_s,
            limiter=state.redaction.limiter,
            owner=str(ex.principal.user_id),
            cache=state.redaction.cache,
        )
    except RedactionBlocked as exc:  # refusals are of the one error tree: they pass as they are
        ex.detail["blocked"] = sorted({f.type.value for f in exc.findings})
        raise
    ex.redactions = redacted.counts
    if ex.resolved.policy.retention.store_redacted_prompts:
        # What left the company (the boundary's output), placeholders and all.
        ex.detail["prompt"] = redacted.body["messages"]
    return redacted


async def _intend(state: AppState, ex: Exchange) -> None:
    """The audit event on local disk before anything is sent (``audit.intents``)."""
    try:
        await state.audit.intend(ex.intent())
    except OSError as exc:  # a full or read-only disk
        raise errors.not_sent(
            "監査ログの控えを書けない", "The audit spool cannot be written"
        ) from exc


async def chat(
    *,
    state: AppState,
    principal: Principal,
    body: dict[str, Any],
    conversation_id: str | None = None,
    use_case: str | None = None,
    reply_headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A non-streaming completion; returns the OpenAI response body. ``reply_headers`` receives
    headers for the response (the quota warning)."""
    ex = Exchange(principal, str(body["model"]), conversation_id, reply_headers=reply_headers)
    try:
        route = await _prepare(state, ex, body, use_case)
        redacted = await _redact(state, ex, body)
        await _intend(state, ex)
        outgoing = bounded(redacted.body)
        response = await state.providers.for_route(route).complete(route, outgoing)
        redacted.restore(response)
        ex.usage = response.get("usage") or {}
        response["model"] = route.alias
        ex.outcome, ex.status = "ok", 200
        return response
    except BaseException as exc:
        ex.fail(exc)
        raise
    finally:
        await _finish(state, ex)


async def chat_stream(
    *,
    state: AppState,
    principal: Principal,
    body: dict[str, Any],
    conversation_id: str | None = None,
    use_case: str | None = None,
    reply_headers: dict[str, str] | None = None,
    keep: Keep | None = None,
) -> AsyncIterator[bytes]:
    """A streaming completion. Errors before the first chunk raise (a proper HTTP status);
    the returned iterator yields SSE bytes and settles and records the outcome when it ends."""
    ex = Exchange(principal, str(body["model"]), conversation_id, reply_headers=reply_headers)
    try:
        route = await _prepare(state, ex, body, use_case)
        redacted = await _redact(state, ex, body)
        await _intend(state, ex)
        outgoing = bounded(redacted.body)
        upstream = aiter(state.providers.for_route(route).stream(route, outgoing))
        first = await anext(upstream)
    except BaseException as exc:
        ex.fail(exc)
        await _finish(state, ex)
        raise
    relay = _relay(state, ex, route, first, upstream, redacted.stream_restorer())
    return relay if keep is None else _kept(relay, ex, redacted, keep)


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
            ex.answer.append(_raw_text(chunk))
            if chunk.get("usage"):
                ex.usage = chunk["usage"]
            ex.streamed += 1
            for piece in restorer.chunk(chunk):
                yield _sse(piece)
            chunk = await anext(upstream, None)
        for piece in restorer.end():
            yield _sse(piece)
        yield b"data: [DONE]\n\n"
        ex.outcome, ex.status = "ok", 200
    except errors.KakehashiError as exc:
        # Headers are already sent: report in-band, as OpenAI does, and end the stream properly
        # (clients wait for [DONE]).
        ex.fail(exc)
        yield _sse(exc.to_openai())
        yield b"data: [DONE]\n\n"
    except BaseException as exc:
        ex.fail(exc)
        raise
    finally:
        await _finish(state, ex)


def _raw_text(chunk: dict[str, Any]) -> str:
    choices = chunk.get("choices") or [{}]
    return str((choices[0].get("delta") or {}).get("content") or "")


async def _kept(
    relay: AsyncIterator[bytes], ex: Exchange, redacted: Outgoing, keep: Keep
) -> AsyncIterator[bytes]:
    """The relay, then ``keep`` with the answer as it arrived (placeholders, not names); a
    stopped answer is kept as far as it came, like the page shows it."""
    try:
        async for piece in relay:
            yield piece
    finally:
        answer = "".join(ex.answer)
        if ex.outcome == "ok" or (ex.outcome == "cancelled" and answer):
            with anyio.CancelScope(shield=True):
                await keep(redacted.body["messages"], answer, redacted.mapping)
