"""What the pipeline learns about one request, and the audit event it becomes.

Data only: the stages that fill it live in ``gateway.pipeline`` and the packages it calls.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any

import anyio

from audit.chain import EventIn
from gateway.kernel.errors import KakehashiError
from gateway.kernel.principal import Principal
from gateway.kernel.vocab import ErrorCode, EventType, Outcome
from policies.quota import Reservation, Settled
from policies.resolve import ResolvedPolicy

# The id of the audit event a response belongs to: what ``POST /api/feedback`` refers to.
REQUEST_ID_HEADER = "x-kakehashi-request-id"


@dataclass
class Exchange:
    """What the pipeline learnt about one request, for the audit record."""

    principal: Principal
    model: str
    conversation_id: str | None = None
    # 32 random hex digits like uuid4().hex, without UUID's slow constructor (~15 µs a call).
    request_id: str = field(default_factory=lambda: os.urandom(16).hex())
    started: float = field(default_factory=time.perf_counter)
    policy_version: str | None = None
    resolved: ResolvedPolicy | None = None
    use_case: str | None = None
    hold: Reservation | None = None
    settled: Settled = field(default_factory=Settled)
    streamed: int = 0  # chunks relayed: the usage estimate when a stream ends without usage
    answer: list[str] = field(default_factory=list)  # streamed text as the provider wrote it
    reply_headers: dict[str, str] | None = None  # the caller's, to receive the quota warning
    usage: dict[str, int] = field(default_factory=dict)
    redactions: dict[str, int] = field(default_factory=dict)
    detail: dict[str, Any] = field(default_factory=dict)
    outcome: str = Outcome.ERROR
    status: int = 500
    error_code: str | None = None

    def __post_init__(self) -> None:
        if self.reply_headers is not None:
            self.reply_headers[REQUEST_ID_HEADER] = self.request_id

    def fail(self, exc: BaseException) -> None:
        if isinstance(exc, KakehashiError):
            self.outcome, self.status, self.error_code = Outcome.REFUSED, exc.status, exc.code
            if exc.status >= 500:
                self.outcome = Outcome.ERROR
        elif isinstance(exc, anyio.get_cancelled_exc_class() | GeneratorExit):
            self.outcome, self.status, self.error_code = (
                Outcome.CANCELLED,
                499,
                ErrorCode.CLIENT_DISCONNECTED,
            )
        else:
            self.outcome, self.status, self.error_code = (
                Outcome.ERROR,
                500,
                ErrorCode.INTERNAL_ERROR,
            )

    def redacted(self, *, body: dict[str, Any], counts: dict[str, int]) -> None:
        """What the redaction stage replaced; with the policy's consent, what left the company
        (the boundary's output, placeholders and all)."""
        self.redactions = counts
        if self.resolved is not None and self.resolved.policy.retention.store_redacted_prompts:
            self.detail["prompt"] = body["messages"]

    def took(self, chunk: dict[str, Any]) -> None:
        """A streamed chunk as the provider wrote it: its text, and its usage when it has one."""
        choices = chunk.get("choices") or [{}]
        self.answer.append(str((choices[0].get("delta") or {}).get("content") or ""))
        if chunk.get("usage"):
            self.usage = chunk["usage"]
        self.streamed += 1

    def intent(self, if_lost: Settled) -> EventIn:
        """The event as it stands just before the provider call: what the audit log keeps if
        the process dies before the request ends (``audit.intents``), with what the request is
        then charged (``policies.quota.Ledger.if_lost``)."""
        return self._event(if_lost, Outcome.ERROR, ErrorCode.INTERRUPTED)

    def audit_event(self) -> EventIn:
        """The ``chat.completion`` event; usage and cost are what the quota was charged."""
        return self._event(self.settled, self.outcome, self.error_code)

    def _event(self, settled: Settled, outcome: str, error_code: str | None) -> EventIn:
        detail = self.detail.copy()
        if settled.usage.estimated:
            detail["usage_estimated"] = True
        if self.hold is not None and self.hold.unchecked:
            detail["quota_unchecked"] = True
        return EventIn(
            event_type=EventType.CHAT_COMPLETION,
            outcome=outcome,
            status_code=self.status,
            error_code=error_code,
            request_id=self.request_id,
            user_email=self.principal.email,
            department=self.principal.department,
            role=self.principal.role.value,
            model=self.model,
            use_case=self.use_case,
            prompt_tokens=settled.usage.prompt_tokens,
            completion_tokens=settled.usage.completion_tokens,
            cost_jpy=settled.yen,
            latency_ms=round((time.perf_counter() - self.started) * 1000),
            policy_version=self.policy_version,
            redactions=self.redactions,
            detail=detail,
        )
