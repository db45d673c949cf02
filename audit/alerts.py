"""Budget alerts: when a department's month-to-date use crosses one of its policy's
``quotas.alert_at`` shares of the monthly limit (80 % and 100 % by default), IT is told once
per threshold, unit and month, by e-mail and webhook (``audit.notify``), and a
``budget.alert`` audit event records what was sent to which channel.

"Once" holds across replicas: the replica that inserts the ``budget_alerts`` row (unique per
department, month, unit and threshold) sends; the others find the row taken. When every
configured channel failed, the row is removed again so the next check retries. Use comes from
``audit.budgets.usage`` (the audit events): the same figure the budgets page shows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

import anyio
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from audit.budgets import Line, Unit, usage
from audit.models import BudgetAlert
from audit.notify import Delivery, Message, Notifier
from audit.reports import KpiSource
from gateway.kernel.clock import utcnow
from gateway.kernel.events import AuditSink, EventIn
from gateway.kernel.vocab import EventType, Outcome

log = logging.getLogger(__name__)
_UNIT_JA = {"tokens": "トークン", "yen": "円"}


@dataclass(frozen=True)
class Alert:
    department: str
    period: str  # YYYY-MM
    unit: Unit
    threshold: int  # percent
    used: float
    limit: float
    delivery: Delivery


def _crossed(line: Line, shares: list[float]) -> list[tuple[Unit, int, float, float]]:
    found: list[tuple[Unit, int, float, float]] = []
    units: tuple[Unit, ...] = ("tokens", "yen")
    for unit in units:
        limit = getattr(line.month_limit, unit)
        if limit is None:
            continue
        used = line.month.of(unit)
        found.extend(
            (unit, round(share * 100), used, float(limit))
            for share in sorted(set(shares))
            if used >= share * limit
        )
    return found


def _amount(value: float, unit: Unit) -> str:
    return f"{value:,.0f}{_UNIT_JA[unit]}" if unit == "tokens" else f"{value:,.2f}円"


def message(*, department: str, period: str, unit: Unit, threshold: int, used: float,
            limit: float, forecast: float, public_url: str | None) -> Message:  # fmt: skip
    subject = (
        f"[Kakehashi] {department} の今月の予算 ({_UNIT_JA[unit]}) が {threshold}% に達しました"
    )
    lines = [
        f"{department} の {period} の利用が月間上限の {threshold}% に達しました。",
        f"利用: {_amount(used, unit)} / 上限: {_amount(limit, unit)} ({used / limit:.0%})",
        f"このペースでの月末予測: {_amount(forecast, unit)}",
        "",
        f"{department} reached {threshold}% of its monthly {unit} budget for {period}: "
        f"{used:,.2f} of {limit:,.2f}.",
    ]
    if public_url:
        lines += ["", f"予算の画面 / budgets: {public_url.rstrip('/')}/budgets"]
    return Message(subject, "\n".join(lines))


async def _claim(source: KpiSource, department: str, period: str, unit: str, pct: int) -> bool:
    try:
        async with source.sessions.begin() as session:
            session.add(
                BudgetAlert(
                    department=department,
                    period=period,
                    unit=unit,
                    threshold=pct,
                    created_at=utcnow(),
                )
            )
    except IntegrityError:
        return False  # sent already (this month), by this replica or another
    return True


async def _release(source: KpiSource, department: str, period: str, unit: str, pct: int) -> None:
    c = BudgetAlert.__table__.c
    async with source.sessions.begin() as session:
        await session.execute(
            delete(BudgetAlert).where(
                c.department == department, c.period == period, c.unit == unit, c.threshold == pct
            )
        )


async def check(
    *,
    source: KpiSource,
    notifier: Notifier,
    audit: AuditSink,
    public_url: str | None = None,
    today: date | None = None,
) -> list[Alert]:
    """Compare every department's month with its thresholds; notify and audit new crossings."""
    report = await usage(source=source, department=None, today=today)
    period = f"{report.month_start:%Y-%m}"
    sent: list[Alert] = []
    for line in report.departments:
        shares = source.policies.for_department(line.department).quotas.alert_at
        for unit, pct, used, limit in _crossed(line, shares):
            if not await _claim(source, line.department, period, unit, pct):
                continue
            text = message(
                department=line.department,
                period=period,
                unit=unit,
                threshold=pct,
                used=used,
                limit=limit,
                forecast=line.forecast.of(unit),
                public_url=public_url,
            )
            delivery = await notifier.send(text)
            failed = delivery.configured and not delivery.delivered
            if failed:
                await _release(source, line.department, period, unit, pct)
            await audit(
                EventIn(
                    event_type=EventType.BUDGET_ALERT,
                    outcome=Outcome.ERROR if failed else Outcome.OK,
                    department=line.department,
                    detail={
                        "period": period,
                        "unit": unit,
                        "threshold_percent": pct,
                        "used": used,
                        "limit": limit,
                        "channels": delivery.results,
                    },
                )
            )
            sent.append(Alert(line.department, period, unit, pct, used, limit, delivery))
    return sent


async def watch(
    *,
    source: KpiSource,
    notifier: Notifier,
    audit: AuditSink,
    interval_s: float,
    public_url: str | None = None,
) -> None:
    """``check`` every ``interval_s`` until cancelled (the app lifespan's background task).
    A failed check is logged and tried again next time: alerts must not stop the gateway.
    ``interval_s`` 0: no checks."""
    while interval_s:
        await anyio.sleep(interval_s)
        try:
            await check(source=source, notifier=notifier, audit=audit, public_url=public_url)
        except Exception:
            log.exception("budget alert check failed; retrying in %s s", interval_s)
