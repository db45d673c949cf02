"""IT's overview: today's requests, this month's cost against each budget, refusals and
redactions by type, the audit chain's state and the upstream models' recent health.

Every figure comes from a service that also answers an API: the month's refusals and
redactions are ``audit.kpi.compute`` for every department (``/api/kpi``), the cost against
each budget is ``audit.budgets.usage`` (``/api/budgets.csv``). Today's counts and the
providers' health are read here from the same ``chat.completion`` events.

Provider health is what the last hour of real requests says (no probe calls are made, which
would cost money and could be refused by the provider): per model, its answers and its
upstream failures (``upstream_error``, ``upstream_timeout``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Literal

from sqlalchemy import func, select

from audit.budgets import BudgetReport, usage
from audit.kpi import Kpis, compute
from audit.models import AuditChainHead, AuditCheckpoint, AuditEvent
from audit.periods import period_of
from audit.reports import KpiSource
from gateway.kernel.clock import aware
from gateway.kernel.vocab import ErrorCode, EventType, Outcome

_E = AuditEvent.__table__.c
UPSTREAM_FAILURES = (ErrorCode.UPSTREAM_ERROR, ErrorCode.UPSTREAM_TIMEOUT)
HEALTH_WINDOW = timedelta(hours=1)
Health = Literal["ok", "degraded", "down", "idle"]


@dataclass(frozen=True)
class Today:
    requests: int
    answers: int
    refused: int
    failed: int


@dataclass(frozen=True)
class ProviderHealth:
    model: str
    requests: int  # in the last hour
    failures: int  # upstream errors and timeouts
    last_ok_at: datetime | None
    last_failure_at: datetime | None
    state: Health


@dataclass(frozen=True)
class ChainState:
    head_seq: int
    head_hash: str
    checkpoint_seq: int | None
    checkpoint_at: datetime | None
    last_verified_at: datetime | None
    last_verified_outcome: str | None  # ok | tampered
    writer_failing: bool


@dataclass(frozen=True)
class Overview:
    today: Today
    month: Kpis  # every department
    budgets: BudgetReport
    chain: ChainState
    providers: tuple[ProviderHealth, ...]


async def _today(source: KpiSource) -> Today:
    day = source.today()
    lo = datetime.combine(day, time(), source.tz).astimezone(UTC)
    hi = datetime.combine(day + timedelta(days=1), time(), source.tz).astimezone(UTC)
    query = (
        select(_E.outcome, func.count())
        .where(_E.event_type == EventType.CHAT_COMPLETION, _E.created_at >= lo, _E.created_at < hi)
        .group_by(_E.outcome)
    )
    async with source.sessions() as session:
        counts = {str(o): int(n) for o, n in (await session.execute(query)).all()}
    answers, refused = counts.get(Outcome.OK, 0), counts.get(Outcome.REFUSED, 0)
    total = sum(counts.values())
    return Today(total, answers, refused, total - answers - refused)


def _state(
    requests: int, failures: int, last_ok: datetime | None, last_fail: datetime | None
) -> Health:
    """idle: no request; ok: no upstream failure; down: the latest outcome is a failure and
    at least half failed; degraded: anything between."""
    if requests == 0:
        return "idle"
    if failures == 0:
        return "ok"
    latest_failed = last_ok is None or (last_fail is not None and last_fail > last_ok)
    return "down" if latest_failed and failures * 2 >= requests else "degraded"


@dataclass
class _Tally:
    requests: int = 0
    failures: int = 0
    last_ok: datetime | None = None
    last_failure: datetime | None = None


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None or (b is not None and b > a) else a


async def _providers(source: KpiSource, models: list[str], now: datetime) -> list[ProviderHealth]:
    failed = _E.error_code.in_([str(c) for c in UPSTREAM_FAILURES])
    answered = _E.outcome == Outcome.OK
    query = (
        select(_E.model, failed, answered, func.count(), func.max(_E.created_at))
        .where(_E.event_type == EventType.CHAT_COMPLETION, _E.created_at >= now - HEALTH_WINDOW)
        .where(_E.model.is_not(None), _E.outcome != Outcome.REFUSED)  # never reached it
        .group_by(_E.model, failed, answered)
    )
    async with source.sessions() as session:
        rows = (await session.execute(query)).all()
    tallies = {m: _Tally() for m in models}
    for model, is_failure, is_ok, n, last in rows:
        tally = tallies.setdefault(str(model), _Tally())
        tally.requests += int(n)
        if is_failure:
            tally.failures += int(n)
            tally.last_failure = _later(tally.last_failure, aware(last))
        elif is_ok:
            tally.last_ok = _later(tally.last_ok, aware(last))
    return [
        ProviderHealth(
            m,
            t.requests,
            t.failures,
            t.last_ok,
            t.last_failure,
            _state(t.requests, t.failures, t.last_ok, t.last_failure),
        )
        for m, t in sorted(tallies.items())
    ]


async def _chain(source: KpiSource, writer_failing: bool) -> ChainState:
    checkpoints = AuditCheckpoint.__table__.c
    async with source.sessions() as session:
        head = (await session.execute(select(AuditChainHead.seq, AuditChainHead.hash))).first()
        checkpoint = (
            await session.execute(
                select(checkpoints.through_seq, checkpoints.created_at)
                .order_by(checkpoints.through_seq.desc())
                .limit(1)
            )
        ).first()
        verified = (
            await session.execute(
                select(_E.created_at, _E.outcome)
                .where(_E.event_type == EventType.AUDIT_VERIFIED)
                .order_by(_E.seq.desc())
                .limit(1)
            )
        ).first()
    return ChainState(
        head_seq=int(head.seq) if head else 0,
        head_hash=str(head.hash) if head else "",
        checkpoint_seq=int(checkpoint[0]) if checkpoint else None,
        checkpoint_at=checkpoint[1] if checkpoint else None,
        last_verified_at=verified[0] if verified else None,
        last_verified_outcome=str(verified[1]) if verified else None,
        writer_failing=writer_failing,
    )


async def overview(
    *,
    source: KpiSource,
    models: list[str],
    known: Sequence[str],
    writer_failing: bool,
    now: datetime | None = None,
) -> Overview:
    """``models``: the configured aliases (listed even when idle); ``known``: the departments
    with a policy of their own; ``writer_failing``: whether the audit writer is failing to
    commit right now (then chat requests are refused)."""
    today = source.today()
    async with source.sessions() as session:
        month = await compute(
            session=session,
            policies=source.policies,
            department=None,
            period=period_of("month", today),
            tz=source.tz,
            as_of=today,
        )
    return Overview(
        today=await _today(source),
        month=month,
        budgets=await usage(source=source, department=None, known=known, today=today),
        chain=await _chain(source, writer_failing),
        providers=tuple(await _providers(source, models, now or datetime.now(UTC))),
    )
