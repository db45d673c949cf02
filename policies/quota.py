"""Quotas: reserve before the provider call, settle after it, refund on failure.

Every request touches eight buckets: (department, user) x (day, month) x (tokens, yen). One
atomic store call reserves the request's worst case (``policies.ask.Ask``: every token-carrying input —
messages with their tool calls, ``tools``, ``functions``, ``response_format`` … — plus the
output bound, times ``n``) in all of them or refuses it; the hold expires after
``hold_ttl_s`` so a crashed replica's reservation comes back by itself. Settling swaps the hold
for the actual usage; a settle the store could not take is kept in a local spool and retried
(``policies.pending``), and the stores charge each hold once, so a retry never charges twice. Windows follow the calendar in ``settings.timezone``. Yen are counted as integer micro-yen so sums are exact.

Stores: ``MemoryStore`` (one process: the demo) in ``policies.quota_memory``, ``RedisStore``
(several replicas) in ``policies.quota_redis``, both to the contract in ``policies.quota_store``.
A store that cannot answer raises ``StoreUnavailable``; the ledger then refuses with 503 or, if the deployment chose ``on_store_error: allow``, lets the request
through marked unchecked in the audit log and a response header - never silently unlimited.
How levels read to people (status rows, the refusal, the warning header) is ``policies.quota_levels``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import anyio.to_thread

from gateway.kernel.errors import Unavailable
from gateway.kernel.vocab import Outcome
from policies.model import Limit, Policy, Quotas, Windows
from policies.pending import settle_args, settle_record
from policies.quota_levels import BucketStatus, exceeded, status_row, warning_note
from policies.quota_store import MICRO, Bucket, QuotaStore, SettleKeeper, StoreUnavailable

log = logging.getLogger(__name__)

OnStoreError = Literal["refuse", "allow"]


@dataclass(frozen=True, slots=True)
class Price:
    """Yen per prompt and per completion token for one model route."""

    input_yen: float = 0.0
    output_yen: float = 0.0

    def micro_yen(self, prompt_tokens: int, completion_tokens: int) -> int:
        return round((prompt_tokens * self.input_yen + completion_tokens * self.output_yen) * MICRO)


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    estimated: bool = False

    @property
    def total(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True, slots=True)
class Settled:
    """What a request was charged (recorded in its audit event)."""

    usage: Usage = Usage()
    micro_yen: int = 0

    @property
    def yen(self) -> float:
        return self.micro_yen / MICRO


@dataclass(frozen=True, slots=True)
class IfLost:
    """What a request is charged if its process dies while it is at the provider: ``settled``
    for its audit intent, ``record`` (a settle, ``policies.pending``) kept beside it and
    replayed with it (``Ledger.settle_lost``); None when nothing is held."""

    settled: Settled
    record: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class Reservation:
    hold_id: str
    buckets: tuple[Bucket, ...]
    amounts: tuple[int, ...]
    price: Price
    prompt_tokens: int  # counted before the call (0 when no limit applies)
    warning: str | None = None
    unchecked: bool = False  # the store was down and the deployment allows that


def settled_usage(
    *, reported: dict[str, Any], reservation: Reservation, outcome: str, streamed: int
) -> Usage:
    """What to charge: the provider's usage; else, when output was produced or the client left
    mid-call (the provider bills that), the counted prompt plus one token per streamed chunk;
    else (the call failed) nothing: a refund."""
    if "prompt_tokens" in reported or "completion_tokens" in reported:
        return Usage(
            int(reported.get("prompt_tokens") or 0), int(reported.get("completion_tokens") or 0)
        )
    if outcome in (Outcome.OK, Outcome.CANCELLED) or streamed:
        return Usage(reservation.prompt_tokens, streamed, estimated=True)
    return Usage()


_MADE_MAX = 10_000


def _now() -> datetime:
    return datetime.now(UTC)


def _limit(limit: Limit, unit: str) -> int | None:
    if unit == "tokens":
        return limit.tokens
    return None if limit.yen is None else round(limit.yen * MICRO)


class Ledger:
    """The quota stage: buckets for a request, reserve, settle, status."""

    def __init__(
        self,
        store: QuotaStore,
        *,
        timezone: str = "Asia/Tokyo",
        hold_ttl_s: float = 900.0,
        on_store_error: OnStoreError = "refuse",
        jpy_per_usd: float = 150.0,
        clock: Callable[[], datetime] = _now,
        pending: SettleKeeper | None = None,
    ) -> None:
        """``pending``: where settles that fail are kept until the store takes them; None
        only logs them (the in-process store, which does not fail)."""
        self.store = store
        self._pending = pending
        self.tz = ZoneInfo(timezone)
        self._jpy_per_usd = jpy_per_usd
        self._ttl_ms = int(hold_ttl_s * 1000)
        self._on_store_error = on_store_error
        self._clock = clock
        # The buckets of (quotas, department, user, local day): the same eight frozen values for
        # every request of a person on a day, built once (~2 % of a worker's CPU otherwise,
        # bench/overhead/profile.py). Keyed by the quotas' identity; the entry holds them, so
        # their id cannot be reused by a newer policy while it lives.
        self._made: dict[tuple[int, str, str | None, date], tuple[Quotas, tuple[Bucket, ...]]]
        self._made = {}

    def buckets(
        self, *, quotas: Quotas, department: str, user: str | None, now: datetime
    ) -> tuple[Bucket, ...]:
        today = now.astimezone(self.tz).date()
        made = self._made.get((id(quotas), department, user, today))
        if made is not None and made[0] is quotas:
            return made[1]
        if len(self._made) >= _MADE_MAX:
            self._made.clear()  # a new day, or many people: bounded beats an LRU here
        buckets = self._buckets(quotas, department, user, today)
        self._made[id(quotas), department, user, today] = (quotas, buckets)
        return buckets

    def _buckets(
        self, quotas: Quotas, department: str, user: str | None, today: date
    ) -> tuple[Bucket, ...]:
        first_next_month = date(today.year + today.month // 12, today.month % 12 + 1, 1)
        windows: tuple[tuple[Literal["day", "month"], str, date], ...] = (
            ("day", today.isoformat(), today + timedelta(days=1)),
            ("month", f"{today:%Y-%m}", first_next_month),
        )
        scopes: list[tuple[Literal["department", "user"], str, Windows]] = [
            ("department", department, quotas.department)
        ]
        if user is not None:
            scopes.append(("user", user.lower(), quotas.per_user))
        return tuple(
            Bucket(
                scope,
                owner,
                window,
                period,
                unit,
                _limit(getattr(limits, window), unit),
                self._at(ends),
            )
            for scope, owner, limits in scopes
            for window, period, ends in windows
            for unit in ("tokens", "yen")
        )

    def _at(self, day: date) -> datetime:
        return datetime.combine(day, time(), tzinfo=self.tz)

    async def reserve(
        self,
        *,
        policy: Policy,
        department: str,
        user: str,
        count_prompt: Callable[[], int],
        max_tokens: int | None,
        usd_per_token: tuple[float, float],
        choices: int = 1,
    ) -> Reservation:
        """Hold the request's worst case in every bucket, or raise ``QuotaExceeded``.

        ``count_prompt`` tokenises the prompt (called in a worker thread, only when a limit
        applies); ``usd_per_token``: the model's (prompt, completion) prices. ``choices`` (``n``)
        multiplies prompt and output: OpenAI bills the prompt once, but providers without ``n``
        are called once per choice (litellm), so the worst case is n full requests."""
        price = Price(*(usd * self._jpy_per_usd for usd in usd_per_token))
        now = self._clock()
        quotas = policy.quotas
        buckets = self.buckets(quotas=quotas, department=department, user=user, now=now)
        hold_id = os.urandom(16).hex()  # as uuid4().hex, cheaper
        if not quotas.limited():  # counted at settle only: no limit to hold against
            return Reservation(hold_id, buckets, (0,) * len(buckets), price, 0)
        # Tokenising a long prompt is CPU work: off the event loop.
        prompt = await anyio.to_thread.run_sync(count_prompt)
        output = max_tokens or quotas.reserve_output_tokens
        tokens = (prompt + output) * choices
        micro = price.micro_yen(prompt * choices, output * choices)
        amounts = _amounts(buckets, tokens, micro)
        try:
            decision = await self.store.reserve(
                hold_id=hold_id,
                buckets=buckets,
                amounts=amounts,
                now_ms=_ms(now),
                ttl_ms=self._ttl_ms,
            )
        except StoreUnavailable as exc:
            return self._store_down(exc, hold_id, buckets, price, prompt)
        if not decision.admitted and decision.refused_at is not None:
            i = decision.refused_at
            raise exceeded(buckets[i], decision.levels[i], amounts[i], now)
        warning = warning_note(buckets, decision.levels, quotas.warn_at)
        return Reservation(hold_id, buckets, amounts, price, prompt, warning)

    def _store_down(
        self,
        exc: StoreUnavailable,
        hold_id: str,
        buckets: tuple[Bucket, ...],
        price: Price,
        prompt: int,
    ) -> Reservation:
        if self._on_store_error == "allow":
            log.error(
                "quota store unavailable; request allowed UNCHECKED (on_store_error: allow): %s",
                exc,
            )
            note = "quota store unavailable; this request was not counted against any quota"
            return Reservation(
                hold_id, buckets, (0,) * len(buckets), price, prompt, note, unchecked=True
            )
        log.error("quota store unavailable; request refused: %s", exc)
        raise Unavailable(
            "利用上限の管理サーバー (Redis) に接続できないため送信しませんでした。情報システム部に連絡してください。",
            "The quota store (Redis) is unreachable, so nothing was sent; please tell IT.",
        ) from exc

    async def settle(
        self, reservation: Reservation, *, reported: dict[str, Any], outcome: str, streamed: int
    ) -> Settled:
        """Replace the hold by the actual usage (see ``settled_usage``)."""
        usage = settled_usage(
            reported=reported, reservation=reservation, outcome=outcome, streamed=streamed
        )
        micro = reservation.price.micro_yen(usage.prompt_tokens, usage.completion_tokens)
        settled = Settled(usage, micro)
        if reservation.unchecked:
            return settled
        actual = _amounts(reservation.buckets, usage.total, micro)
        try:
            await self.store.settle(
                hold_id=reservation.hold_id,
                buckets=reservation.buckets,
                reserved=reservation.amounts,
                actual=actual,
                now_ms=_ms(self._clock()),
            )
        except StoreUnavailable as exc:
            if self._pending is None:
                log.exception("quota settle failed for hold %s (%s)", reservation.hold_id, actual)
                return settled
            await self._pending.keep(
                hold_id=reservation.hold_id,
                buckets=reservation.buckets,
                reserved=reservation.amounts,
                actual=actual,
                now_ms=_ms(self._clock()),
                error=exc,
            )
        return settled

    def if_lost(self, reservation: Reservation | None) -> IfLost:
        """The counted prompt, as for a client that left before any output (the provider bills
        the prompt): a killed replica's requests are then charged once, not released at
        ``hold_ttl_s`` as if never sent."""
        if reservation is None:
            return IfLost(Settled(), None)
        usage = settled_usage(reported={}, reservation=reservation, outcome="cancelled", streamed=0)
        micro = reservation.price.micro_yen(usage.prompt_tokens, usage.completion_tokens)
        if reservation.unchecked:
            return IfLost(Settled(usage, micro), None)
        actual = _amounts(reservation.buckets, usage.total, micro)
        record = settle_record(
            reservation.hold_id,
            reservation.buckets,
            reservation.amounts,
            actual,
            _ms(self._clock()),
        )
        return IfLost(Settled(usage, micro), record)

    async def settle_lost(self, records: Sequence[dict[str, Any]]) -> None:
        """Settle ``IfLost.record``s replayed from a dead process's audit spool. The store
        charges each hold once, so a request that did settle before dying is not charged again."""
        for record in records:
            args = settle_args(record)
            try:
                await self.store.settle(**args)
            except StoreUnavailable as exc:
                if self._pending is None:
                    raise
                await self._pending.keep(**args, error=exc)

    async def status(
        self, *, policy: Policy, department: str, user: str | None
    ) -> list[BucketStatus]:
        now = self._clock()
        buckets = self.buckets(quotas=policy.quotas, department=department, user=user, now=now)
        try:
            levels = await self.store.read(buckets=buckets, now_ms=_ms(now))
        except StoreUnavailable as exc:
            raise Unavailable(
                "利用上限の管理サーバー (Redis) に接続できません。",
                "The quota store (Redis) is unreachable.",
            ) from exc
        return [status_row(b, lv) for b, lv in zip(buckets, levels, strict=True)]


def _amounts(buckets: Sequence[Bucket], tokens: int, micro_yen: int) -> tuple[int, ...]:
    """``Bucket.amount`` of each bucket (the one rule of what a bucket counts)."""
    return tuple([b.amount(tokens, micro_yen) for b in buckets])


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
