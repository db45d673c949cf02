"""The audit record every package may write (``EventIn``); ``audit`` owns storing, chaining
and reading it. Kept in the kernel so a package can report an event without importing
``audit`` (policies report reloads; identity reports sign-ins and keys)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from gateway.kernel.clock import utcnow
from gateway.kernel.plain import deep_copy


@dataclass(frozen=True)
class EventIn:
    """An event to append. ``created_at`` defaults to now (UTC)."""

    event_type: str  # an ``EventType``
    outcome: str  # an ``Outcome``
    status_code: int = 200
    error_code: str | None = None
    request_id: str | None = None
    user_email: str | None = None
    department: str | None = None
    role: str | None = None
    model: str | None = None
    use_case: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_jpy: float = 0.0
    latency_ms: int = 0
    redactions: dict[str, Any] = field(default_factory=dict)
    policy_version: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    created_at: datetime = field(default_factory=utcnow)

    def columns(self) -> dict[str, Any]:
        """Every field by name, as ``dataclasses.asdict`` gives them, without its deep copy of
        every scalar (a share of each request's CPU): only the two dicts are copied, so a later
        change to the caller's dict cannot reach a record written in another thread."""
        columns = {name: getattr(self, name) for name in _COLUMNS}
        columns["redactions"] = deep_copy(self.redactions)
        columns["detail"] = deep_copy(self.detail)
        return columns


_COLUMNS = tuple(f.name for f in fields(EventIn))


AuditSink = Callable[[EventIn], Awaitable[object]]
