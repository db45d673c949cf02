"""The SQL behind the trial KPIs (``audit.kpi``): one GROUP BY per figure over the
``chat.completion`` audit events of a department (or all) in a UTC ``created_at`` range, joined
with feedback. The definitions the queries implement are in ``audit.kpi`` and docs/kpi.md;
results come back as rows for ``audit.kpi`` to shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Select,
    and_,
    bindparam,
    case,
    false,
    func,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.ext.asyncio import AsyncSession

from audit.models import AuditEvent, Feedback
from gateway.kernel.vocab import EventType, Outcome

_E = AuditEvent.__table__.c
_F = Feedback.__table__.c


@dataclass(frozen=True)
class Scope:
    department: str | None
    lo: datetime
    hi: datetime

    def where(self) -> list[ColumnElement[bool]]:
        conditions = [
            _E.event_type == EventType.CHAT_COMPLETION,
            _E.created_at >= self.lo,
            _E.created_at < self.hi,
        ]
        if self.department is not None:
            conditions.append(_E.department == self.department)
        return conditions


async def _rows(session: AsyncSession, query: Select[Any]) -> list[Any]:
    return list((await session.execute(query)).all())


async def outcomes(session: AsyncSession, scope: Scope) -> list[Any]:
    query = (
        select(
            _E.outcome,
            _E.error_code,
            func.count(),
            func.coalesce(func.sum(_E.cost_jpy), 0.0),
            func.coalesce(func.sum(_E.prompt_tokens + _E.completion_tokens), 0),
        )
        .where(*scope.where())
        .group_by(_E.outcome, _E.error_code)
    )
    return await _rows(session, query)


async def distinct_users(session: AsyncSession, scope: Scope, *, answered: bool) -> int:
    conditions = scope.where() + ([_E.outcome == Outcome.OK] if answered else [])
    query = select(func.count(func.distinct(_E.user_email))).where(*conditions)
    return int((await session.execute(query)).scalar_one())


def _rejected() -> ColumnElement[bool]:
    return or_(_F.rating <= 2, _F.helpful == false())


def _copied() -> ColumnElement[bool]:
    """The owner copied the answer: they used it, whatever they rated."""
    copy = AuditEvent.__table__.alias("copy")
    return (
        select(copy.c.seq)
        .where(copy.c.request_id == _E.request_id, copy.c.event_type == EventType.ANSWER_COPIED)
        .exists()
    )


def _part() -> ColumnElement[bool]:
    """A request that summarised one part of a long document (``gateway.digest``): it costs
    and is audited, but the answer the person got is the combined request's."""
    part: ColumnElement[bool] = _E.detail["part"].as_string().is_not(None)
    return part


async def by_use_case(session: AsyncSession, scope: Scope) -> list[Any]:
    accepted = case((or_(_part(), and_(_rejected(), ~_copied())), 0), else_=1)
    reported = and_(~func.coalesce(_rejected(), false()), _F.minutes_saved.is_not(None))
    rated = _F.request_id.is_not(None)
    query = (
        select(
            _E.department,
            _E.use_case,
            func.sum(case((_part(), 0), else_=1)),
            func.sum(accepted),
            func.sum(case((reported, _F.minutes_saved), else_=0.0)),
            func.sum(case((reported, 1), else_=0)),
            func.coalesce(func.sum(_E.cost_jpy), 0.0),
            func.sum(case((rated, 1), else_=0)),
            func.sum(case((and_(~rated, ~_copied()), 1), else_=0)),
            func.count(_F.rating),
            func.coalesce(func.sum(_F.rating), 0),
            func.sum(case((func.coalesce(_rejected(), false()), 1), else_=0)),
        )
        .select_from(
            AuditEvent.__table__.outerjoin(Feedback.__table__, _F.request_id == _E.request_id)
        )
        .where(*scope.where(), _E.outcome == Outcome.OK)
        .group_by(_E.department, _E.use_case)
    )
    return await _rows(session, query)


async def satisfaction(session: AsyncSession, scope: Scope) -> Any:
    query = (
        select(
            func.count(_F.rating),
            func.avg(_F.rating),
            func.count(_F.helpful),
            func.coalesce(func.sum(case((_F.helpful == true(), 1), else_=0)), 0),
        )
        .select_from(Feedback.__table__.join(AuditEvent.__table__, _E.request_id == _F.request_id))
        .where(*scope.where())
    )
    return (await session.execute(query)).one()


_REDACTIONS = """
SELECT j.key, SUM({value}) FROM audit_events AS e, json_each(e.redactions) AS j
WHERE e.event_type = 'chat.completion' AND e.created_at >= :lo AND e.created_at < :hi {dept}
GROUP BY j.key
"""


async def redactions(session: AsyncSession, scope: Scope) -> dict[str, int]:
    # Both SQLite and PostgreSQL expand a JSON object with json_each; only the cast differs.
    value = "j.value" if session.get_bind().dialect.name == "sqlite" else "(j.value #>> '{}')::int"
    sql = _REDACTIONS.format(
        value=value, dept="AND e.department = :dept" if scope.department is not None else ""
    )
    params: dict[str, Any] = {"lo": scope.lo, "hi": scope.hi}
    stmt = text(sql).bindparams(
        bindparam("lo", type_=DateTime(timezone=True)),
        bindparam("hi", type_=DateTime(timezone=True)),
    )
    if scope.department is not None:
        params["dept"] = scope.department
    rows = (await session.execute(stmt, params)).all()
    return {str(k): int(n) for k, n in sorted(rows) if n}
