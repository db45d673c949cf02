"""The hash chain: the canonical form of an event and how its hash is computed.

Each event's hash covers its own fields and the previous event's hash, so editing, deleting
or reordering any stored event breaks every hash after it. Only this module knows the
canonical form; the writer and the verifier both call ``event_hash``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class EventIn:
    """An event to append. ``created_at`` defaults to now (UTC)."""

    event_type: str
    outcome: str
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
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def columns(self) -> dict[str, Any]:
        return asdict(self)


def _utc_iso(value: datetime) -> str:
    # SQLite hands datetimes back naive (stored as UTC); PostgreSQL hands them back aware.
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds")


def canonical(seq: int, columns: dict[str, Any]) -> bytes:
    body = {k: v for k, v in columns.items() if k not in ("id", "hash", "prev_hash", "seq")}
    body["created_at"] = _utc_iso(body["created_at"])
    body["cost_jpy"] = f"{float(body['cost_jpy']):.6f}"
    body["seq"] = seq
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def event_hash(prev_hash: str, seq: int, columns: dict[str, Any]) -> str:
    digest = hashlib.sha256()
    digest.update(prev_hash.encode())
    digest.update(b"\n")
    digest.update(canonical(seq, columns))
    return digest.hexdigest()
