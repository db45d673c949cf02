"""The request pipeline: every chat request, from the web UI or the API, walks this path.

    authenticate        (the router's dependency, gateway.auth; the principal arrives here)
    -> resolve policy   policies.store/resolve (model and use case; the folder hot-reloads)
    -> reserve quota    policies.quota (worst case held in every bucket; 429 when over)
    -> redact           redaction.boundary (every field; fail closed: nothing is sent if it fails)
    -> intend audit     audit.writer/intents (the event fsync'd on local disk before sending)
    -> call provider    gateway.provider
    -> restore          redaction.responses (a stream: gateway.relay, chunk by chunk)
    -> settle quota     policies.quota (actual usage; a refund when the call failed)
    -> audit            audit.writer

This module only sequences stages and owns the ``try/finally`` that settles and records the
outcome on success, error and client disconnect (both writes are shielded from cancellation).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import anyio

from gateway.exchange import Exchange
from gateway.kernel import errors
from gateway.kernel.events import EventIn
from gateway.kernel.principal import Principal
from gateway.kernel.settings import ModelRoute
from gateway.kernel.vocab import Outcome
from gateway.metrics import log_request
from gateway.relay import kept, relay
from gateway.state import AppState
from gateway.workspace.conversations import Keep, vault_key
from policies.ask import ask, bounded
from policies.quota_levels import WARNING_HEADER
from policies.resolve import UseCaseRefused, check_use_case, model_route, resolve
from redaction.boundary import Outgoing, check_text, pseudonym, redact_request
from redaction.errors import RedactionBlocked


async def _finish(state: AppState, ex: Exchange) -> None:
    """Settle the quota hold (a refund if nothing was produced), then audit."""
    with anyio.CancelScope(shield=True):
        if ex.hold is not None:
            ex.settled = await state.quota.settle(
                ex.hold, reported=ex.usage, outcome=ex.outcome, streamed=ex.streamed
            )
        event = ex.audit_event()
        # The metrics and the log line wait for the next turn of the event loop: by then the
        # response has been written to its socket (the route sends it without yielding), so
        # at concurrency 1 they run while the client reads it and sends its next request, not
        # before it gets its answer (issue 18). Both come from the event the audit log gets.
        asyncio.get_running_loop().call_soon(_account, state, event)
        await state.audit.append(event)


def _account(state: AppState, event: EventIn) -> None:
    state.metrics.record(event)
    log_request(event)


async def _prepare(
    state: AppState, ex: Exchange, body: dict[str, Any], use_case: str | None
) -> ModelRoute:
    if state.audit.failing:
        raise errors.not_sent("監査ログに書き込めない", "The audit log cannot be written")
    check_text(body)
    await state.refresh_policies()
    resolved = resolve(policies=state.policies, principal=ex.principal)
    ex.policy_version, ex.resolved = resolved.version, resolved
    department = ex.principal.department
    route = model_route(
        settings=state.settings, resolved=resolved, alias=ex.model, department=department
    )
    try:
        ex.use_case = check_use_case(
            resolved=resolved,
            use_case=use_case,
            principal=ex.principal,
            today=state.kpi_source().today(),
        )
    except UseCaseRefused as exc:  # the refused task and why, in the audit event
        ex.detail["use_case_refused"] = {"name": exc.use_case, "reason": exc.reason.value}
        raise
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
    # The policy's profile plus the names and words IT approved (issue 13), kept in memory.
    profile = state.approved.apply(ex.resolved.policy.redaction, ex.principal.department)
    try:
        redacted = await redact_request(
            body=body,
            redactor=state.redaction.redactor,
            vault=state.redaction.vault,
            conversation_id=conversation,
            profile=profile,
            pseudonym=pseudonym(state.settings.secret_key.get_secret_value(), ex.principal.user_id),
            timeout_s=state.settings.redaction_timeout_s,
            limiter=state.redaction.limiter,
            owner=str(ex.principal.user_id),
            cache=state.redaction.cache,
        )
    except RedactionBlocked as exc:  # refusals are of the one error tree: they pass as they are
        ex.detail["blocked"] = sorted({f.type.value for f in exc.findings})
        raise
    ex.redacted(body=redacted.body, counts=redacted.counts)
    return redacted


async def _intend(state: AppState, ex: Exchange) -> None:
    """The event on local disk before anything is sent, with the quota settle that charges the
    request if this process dies before it ends (``policies.quota.Ledger.if_lost``)."""
    lost = state.quota.if_lost(ex.hold)
    # Alone, nothing waits behind the event loop while it writes (and the thread hops there
    # and back were most of this stage's wait at concurrency 1: docs/benchmarks.md). Any
    # other request in flight (not only chats: one being parsed, a page) means the thread.
    await state.audit.intend(ex.intent(lost.settled), lost.record, alone=state.requests <= 1)


async def chat(
    *,
    state: AppState,
    principal: Principal,
    body: dict[str, Any],
    conversation_id: str | None = None,
    use_case: str | None = None,
    reply_headers: dict[str, str] | None = None,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A non-streaming completion; returns the OpenAI response body. ``reply_headers`` receives
    headers for the response (the quota warning); ``detail`` goes into the audit event."""
    ex = Exchange(principal, str(body["model"]), conversation_id, reply_headers=reply_headers)
    ex.detail.update(detail or {})
    try:
        route = await _prepare(state, ex, body, use_case)
        redacted = await _redact(state, ex, body)
        await _intend(state, ex)
        outgoing = bounded(redacted.body)
        response = await state.providers.for_route(route).complete(route, outgoing)
        redacted.restore(response)
        ex.usage = response.get("usage") or {}
        response["model"] = route.alias
        ex.outcome, ex.status = Outcome.OK, 200
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
    detail: dict[str, Any] | None = None,
) -> AsyncIterator[bytes]:
    """A streaming completion. Errors before the first chunk raise (a proper HTTP status);
    the returned iterator yields SSE bytes and settles and records the outcome when it ends."""
    ex = Exchange(principal, str(body["model"]), conversation_id, reply_headers=reply_headers)
    ex.detail.update(detail or {})
    try:
        route = await _prepare(state, ex, body, use_case)
        redacted = await _redact(state, ex, body)
        await _intend(state, ex)
        outgoing = bounded(redacted.body)
        upstream = aiter(state.providers.for_route(route).stream(route, outgoing))
        first = await anext(upstream)  # the first group of chunks
    except BaseException as exc:
        ex.fail(exc)
        await _finish(state, ex)
        raise
    restorer = redacted.stream_restorer()
    relayed = relay(ex, route, first, upstream, restorer, finish=partial(_finish, state, ex))
    return relayed if keep is None else kept(relayed, ex, redacted, keep)
