"""Checks the audit log's hash chain and names the first event that breaks it.

The walk starts after the newest retention checkpoint (whose HMAC is checked first) or at the
genesis hash, reads events in ``seq`` order in batches (constant memory on a year of events)
and stops at the chain head read at the start, so a gateway writing meanwhile does not
disturb it. What each finding means:

- ``edited``: an event's fields no longer give its stored hash;
- ``reordered``: an event's hash is right for another position (its ``seq`` was changed);
- ``deleted``: a gap in ``seq``, an event whose predecessor is not the one it was chained to,
  or events missing from the end (the head says there were more);
- ``checkpoint_forged``: a checkpoint whose signature does not match the deployment's key.

A chain alone cannot stop someone who rewrites *every* later hash and the head too; note the
head hash that ``kakehashi audit verify`` prints somewhere outside the database (a ticket, an
e-mail to yourself) and compare it next time.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, RowMapping, select

from audit.chain import event_hash
from audit.models import GENESIS_HASH, AuditChainHead, AuditCheckpoint, AuditEvent

_BATCH = 2000
_REORDER_WINDOW = 16  # how far away a moved event is looked for


@dataclass(frozen=True)
class Verification:
    ok: bool
    checked: int  # events read
    head_seq: int
    head_hash: str
    start_seq: int  # the first seq checked (after the newest checkpoint)
    broken_seq: int | None = None
    problem: str | None = None  # edited | reordered | deleted | checkpoint_forged

    def summary(self) -> tuple[str, str]:
        """One line in Japanese and one in English."""
        if self.ok:
            return (
                f"監査ログは改ざんされていません: {self.checked:,} 件 (seq {self.start_seq}"
                f"〜{self.head_seq})、先頭ハッシュ {self.head_hash}",
                f"audit log intact: {self.checked:,} events (seq {self.start_seq}.."
                f"{self.head_seq}), head hash {self.head_hash}",
            )
        ja = _PROBLEM_JA.get(self.problem or "", self.problem or "")
        return (
            f"監査ログの改ざんを検出: 最初に壊れている記録 seq {self.broken_seq} ({ja})",
            f"audit log tampered: first broken event: seq {self.broken_seq} ({self.problem})",
        )


_PROBLEM_JA = {
    "edited": "内容の書き換え",
    "reordered": "順序の入れ替え",
    "deleted": "記録の削除",
    "checkpoint_forged": "チェックポイントの偽造",
}


def checkpoint_key(secret: str) -> bytes:
    """The HMAC key for checkpoints, derived from the deployment secret (``secret_key``)."""
    return hashlib.sha256(b"kakehashi-audit-checkpoint\0" + secret.encode()).digest()


def sign_checkpoint(
    key: bytes, *, through_seq: int, through_hash: str, purged_events: int, cutoff: datetime
) -> str:
    # SQLite returns the stored UTC time naive, PostgreSQL aware in the session's zone.
    if cutoff.tzinfo is not None:
        cutoff = cutoff.astimezone(UTC).replace(tzinfo=None)
    stamp = cutoff.isoformat(timespec="seconds")
    message = f"{through_seq}|{through_hash}|{purged_events}|{stamp}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


_EVENTS = AuditEvent.__table__
_CHECKPOINTS = AuditCheckpoint.__table__


def _moved(row: RowMapping) -> bool:
    seq = int(row["seq"])
    return any(
        event_hash(row["prev_hash"], other, dict(row)) == row["hash"]
        for other in range(max(1, seq - _REORDER_WINDOW), seq + _REORDER_WINDOW + 1)
        if other != seq
    )


def _check(row: RowMapping, expected_seq: int, prev: str) -> tuple[int, str] | None:
    """``(first broken seq, problem)`` or None when ``row`` continues the chain."""
    if event_hash(row["prev_hash"], row["seq"], dict(row)) != row["hash"]:
        return row["seq"], "reordered" if _moved(row) else "edited"
    if row["seq"] != expected_seq:
        return expected_seq, "deleted"
    if row["prev_hash"] != prev:
        # Consecutive seq, but chained to another predecessor: the previous event was rewritten
        # with a fresh hash (or replaced by one made to fit).
        return expected_seq - 1, "edited"
    return None


def verify(conn: Connection, *, key: bytes) -> Verification:
    """Walk the chain in ``conn``; ``key`` is ``checkpoint_key(secret)``."""
    head = conn.execute(select(AuditChainHead.seq, AuditChainHead.hash)).one()
    head_seq, head_hash = int(head.seq), str(head.hash)
    prev, seq = GENESIS_HASH, 0
    checkpoint = (
        conn.execute(select(_CHECKPOINTS).order_by(_CHECKPOINTS.c.through_seq.desc()).limit(1))
        .mappings()
        .one_or_none()
    )

    def result(checked: int, broken: int | None = None, problem: str | None = None) -> Verification:
        return Verification(
            ok=problem is None,
            checked=checked,
            head_seq=head_seq,
            head_hash=head_hash,
            start_seq=start,
            broken_seq=broken,
            problem=problem,
        )

    if checkpoint is not None:
        prev, seq = checkpoint["through_hash"], int(checkpoint["through_seq"])
        signature = sign_checkpoint(
            key,
            through_seq=seq,
            through_hash=prev,
            purged_events=checkpoint["purged_events"],
            cutoff=checkpoint["cutoff"],
        )
        if not hmac.compare_digest(signature, checkpoint["signature"]):
            start = seq + 1
            return result(0, seq, "checkpoint_forged")
    start = seq + 1
    checked = 0
    while seq < head_seq:
        query = (
            select(_EVENTS)
            .where(_EVENTS.c.seq > seq, _EVENTS.c.seq <= head_seq)
            .order_by(_EVENTS.c.seq)
            .limit(_BATCH)
        )
        rows = conn.execute(query).mappings().all()
        if not rows:
            return result(checked, seq + 1, "deleted")  # the newest events are gone
        for row in rows:
            found = _check(row, seq + 1, prev)
            if found is not None:
                return result(checked, *found)
            checked += 1
            prev, seq = row["hash"], int(row["seq"])
    if prev != head_hash:
        return result(checked, seq, "edited")
    return result(checked)
