"""The hash chain: the canonical form of an event and how its hash is computed.

Each event's hash covers its own fields and the previous event's hash, so editing, deleting
or reordering any stored event breaks every hash after it. Only this module knows the
canonical form; the writer and the verifier both call ``event_hash``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from gateway.kernel.events import EventIn

__all__ = ["EventIn", "canonical", "event_hash"]


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
