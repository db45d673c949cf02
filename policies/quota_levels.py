"""How quota levels read to people: the status rows of the usage page and ``/api/quota``, the
bilingual refusal when a bucket is full, and the ASCII warning header near a limit.

``policies.quota.Ledger`` decides and counts; this module only words the result (amounts in
the store are tokens or integer micro-yen, shown here in yen).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from gateway.kernel.errors import QuotaExceeded
from policies.quota_store import MICRO, Bucket, Level

WARNING_HEADER = "x-kakehashi-quota-warning"


@dataclass(frozen=True, slots=True)
class BucketStatus:
    scope: str
    owner: str
    window: str
    unit: str
    limit: float | None  # tokens or yen
    used: float
    held: float  # reserved by requests in flight
    remaining: float | None
    resets_at: datetime


def status_row(bucket: Bucket, level: Level) -> BucketStatus:
    scale = MICRO if bucket.unit == "yen" else 1
    remaining = None if bucket.limit is None else max(0, bucket.limit - level.used - level.held)
    return BucketStatus(
        scope=bucket.scope,
        owner=bucket.owner,
        window=bucket.window,
        unit=bucket.unit,
        limit=None if bucket.limit is None else bucket.limit / scale,
        used=level.used / scale,
        held=level.held / scale,
        remaining=None if remaining is None else remaining / scale,
        resets_at=bucket.resets_at,
    )


def _amount(bucket: Bucket, value: int) -> tuple[str, str]:
    if bucket.unit == "yen":
        return f"{value / MICRO:,.2f} 円", f"JPY {value / MICRO:,.2f}"
    return f"{value:,} トークン", f"{value:,} tokens"


def exceeded(bucket: Bucket, level: Level, amount: int, now: datetime) -> QuotaExceeded:
    limit = bucket.limit or 0  # only limited buckets refuse
    remaining = max(0, limit - level.used - level.held)
    limit_ja, limit_en = _amount(bucket, limit)
    left_ja, left_en = _amount(bucket, remaining)
    need_ja, need_en = _amount(bucket, amount)
    who_ja = (
        f"部署「{bucket.owner}」全体"
        if bucket.scope == "department"
        else f"{bucket.owner} さん個人"
    )
    who_en = (
        f"department {bucket.owner}" if bucket.scope == "department" else f"user {bucket.owner}"
    )
    window_ja, window_en = ("1 日", "daily") if bucket.window == "day" else ("1 か月", "monthly")
    held_ja = " (処理中の依頼の予約分を差し引いた残り)" if level.held else ""
    resets = bucket.resets_at
    return QuotaExceeded(
        f"利用上限に達したため送信しませんでした。{who_ja}の{window_ja}あたりの上限 {limit_ja} に対し、"
        f"残りは {left_ja}{held_ja}、この依頼の見積りは最大 {need_ja} です。"
        f"{resets:%Y年%m月%d日 %H:%M} ({resets.tzinfo}) にリセットされます。",
        f"Quota exceeded, nothing was sent: the {window_en} limit of {who_en} is {limit_en}; "
        f"{left_en} left, this request needs up to {need_en}. It resets at {resets.isoformat()}.",
        headers={"retry-after": str(max(1, int((resets - now).total_seconds())))},
    )


def warning_note(buckets: Sequence[Bucket], levels: Sequence[Level], warn_at: float) -> str | None:
    """ASCII (an HTTP header): ``user/day/tokens 85% used, resets 2026-11-23T00:00:00+09:00``."""
    notes = [
        f"{b.scope}/{b.window}/{b.unit} {100 * (lv.used + lv.held) // b.limit}% used, "
        f"resets {b.resets_at.isoformat()}"
        for b, lv in zip(buckets, levels, strict=True)
        if b.limit and (lv.used + lv.held) >= warn_at * b.limit
    ]
    return ", ".join(notes) or None
