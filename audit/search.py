"""Reading the audit log for IT: filtered, newest first, paged by ``seq``.

Returns plain dicts of the audited fields. Redacted prompt text (kept only where a policy
allows it, under ``detail.prompt``) is left out: listings and exports never carry it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import anyio.to_thread
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from audit.export import cell
from audit.models import AuditEvent

_E = AuditEvent.__table__.c
_PRIVATE_DETAIL = ("prompt",)
_ONE_DAY = timedelta(days=1)
FIELDS = (
    "seq",
    "created_at",
    "event_type",
    "outcome",
    "status_code",
    "error_code",
    "request_id",
    "user_email",
    "department",
    "role",
    "model",
    "use_case",
    "prompt_tokens",
    "completion_tokens",
    "cost_jpy",
    "latency_ms",
    "redactions",
    "policy_version",
    "detail",
)


@dataclass(frozen=True)
class Filters:
    start: date | None = None  # local dates, inclusive
    end: date | None = None
    department: str | None = None
    user: str | None = None
    event_type: str | None = None
    outcome: str | None = None

    def where(self, tz: ZoneInfo) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.start is not None:
            conditions.append(_E.created_at >= datetime.combine(self.start, time(), tz))
        if self.end is not None:
            after = datetime.combine(self.end, time(), tz) + _ONE_DAY
            conditions.append(_E.created_at < after)
        for column, value in (
            (_E.department, self.department),
            (_E.user_email, self.user),
            (_E.event_type, self.event_type),
            (_E.outcome, self.outcome),
        ):
            if value:
                conditions.append(column == value)
        return conditions


class AuditQuery(BaseModel):
    """The filters as given on a URL (the API and the admin page): ``from``/``to`` local dates."""

    start: date | None = Field(default=None, alias="from")
    end: date | None = Field(default=None, alias="to")
    department: str | None = Field(default=None, max_length=100)
    user: str | None = Field(default=None, max_length=320)
    event_type: str | None = Field(default=None, max_length=50)
    outcome: str | None = Field(default=None, max_length=30)

    def filters(self) -> Filters:
        return Filters(
            self.start, self.end, self.department, self.user, self.event_type, self.outcome
        )


def _shape(row: Any, tz: ZoneInfo) -> dict[str, Any]:
    out = {name: row[name] for name in FIELDS}
    out["created_at"] = out["created_at"].astimezone(tz).isoformat(timespec="seconds")
    out["detail"] = {k: v for k, v in (out["detail"] or {}).items() if k not in _PRIVATE_DETAIL}
    return out


async def events(
    *,
    session: AsyncSession,
    filters: Filters,
    tz: ZoneInfo,
    before_seq: int | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Newest first; pass the last ``seq`` you got as ``before_seq`` for the next page."""
    conditions = filters.where(tz)
    if before_seq is not None:
        conditions.append(_E.seq < before_seq)
    query = (
        select(*(getattr(_E, name) for name in FIELDS))
        .where(*conditions)
        .order_by(_E.seq.desc())
        .limit(limit)
    )
    rows = (await session.execute(query)).mappings().all()
    return [_shape(row, tz) for row in rows]


async def list_events(
    *,
    sessions: async_sessionmaker[AsyncSession],
    filters: Filters,
    tz: ZoneInfo,
    before_seq: int | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """``events`` on a session of its own: what the API and the admin page call."""
    async with sessions() as session:
        return await events(
            session=session, filters=filters, tz=tz, before_seq=before_seq, limit=limit
        )


async def export_csv(
    *, sessions: async_sessionmaker[AsyncSession], filters: Filters, tz: ZoneInfo, limit: int
) -> bytes:
    """The newest ``limit`` matching events as CSV, built in a worker thread."""
    rows = await list_events(sessions=sessions, filters=filters, tz=tz, limit=limit)
    return await anyio.to_thread.run_sync(to_csv, rows)


def to_csv(rows: list[dict[str, Any]]) -> bytes:
    """UTF-8 with BOM and CRLF: Japanese Excel opens it as it is."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(FIELDS)
    for row in rows:
        writer.writerow([_cell(row[name]) for name in FIELDS])
    return buffer.getvalue().encode("utf-8-sig")


def _cell(value: Any) -> Any:
    if isinstance(value, dict):
        value = ";".join(f"{k}={v}" for k, v in sorted(value.items()))
    return cell(value)
