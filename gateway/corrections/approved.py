"""The approved names and allowed words of every department, kept in memory beside the policy
set so that a chat request or a preview never queries the database for them.

``refresh()`` rides with the policy refresh (``AppState.refresh_policies``): at most once per
interval it reads every department's approved corrections in one query. A decision taken in
this process is seen by the next request (``invalidate``); another replica sees it within the
interval, as it sees an edited policy file.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.corrections.models import RedactionProposal
from gateway.corrections.service import Status
from redaction.corrections import ProposalKind
from redaction.entities import EntityType
from redaction.profile import RedactionProfile


@dataclass(frozen=True)
class _Terms:
    terms: tuple[tuple[EntityType, str], ...] = ()
    allow: tuple[str, ...] = ()


class Approved:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], *, interval_s: float = 1.0
    ) -> None:
        self._sessions = sessions
        self._interval = interval_s
        self._checked: float | None = None  # never read yet
        self._by_department: dict[str, _Terms] = {}
        # The merged profile per department, for the profile object it was merged from.
        self._merged: dict[str, tuple[RedactionProfile, RedactionProfile]] = {}

    def invalidate(self) -> None:
        """Read again on the next refresh (a decision was just taken here)."""
        self._checked = None

    async def refresh(self) -> None:
        now = time.monotonic()
        if self._checked is not None and now - self._checked < self._interval:
            return
        self._checked = now
        query = select(
            RedactionProposal.department,
            RedactionProposal.kind,
            RedactionProposal.entity_type,
            RedactionProposal.term,
        ).where(RedactionProposal.status == Status.APPROVED.value)
        async with self._sessions() as session:
            rows = (await session.execute(query.order_by(RedactionProposal.id))).all()
        terms: dict[str, list[tuple[EntityType, str]]] = {}
        allow: dict[str, list[str]] = {}
        for department, kind, entity_type, term in rows:
            if kind == ProposalKind.ADD_TERM:
                terms.setdefault(department, []).append((EntityType(entity_type), term))
            elif kind == ProposalKind.ALLOW_TERM:
                allow.setdefault(department, []).append(term)
        by_department = {
            d: _Terms(tuple(terms.get(d, ())), tuple(allow.get(d, ())))
            for d in terms.keys() | allow.keys()
        }
        if by_department != self._by_department:
            self._by_department, self._merged = by_department, {}

    def apply(self, profile: RedactionProfile, department: str) -> RedactionProfile:
        """``profile`` plus the department's approved names and allowed words (no I/O)."""
        approved = self._by_department.get(department)
        if approved is None:
            return profile
        cached = self._merged.get(department)
        if cached is not None and cached[0] is profile:
            return cached[1]
        merged = profile.model_copy(
            update={
                "terms": tuple(dict.fromkeys([*profile.terms, *approved.terms])),
                "allow": tuple(dict.fromkeys([*profile.allow, *approved.allow])),
            }
        )
        self._merged[department] = (profile, merged)
        return merged
