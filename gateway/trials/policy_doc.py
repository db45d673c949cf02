"""A trial's effect on its department's policy: the document an approval or a decision
writes, saved through the one policy-editing service (``policies.edits``), which checks it like
``kakehashi policy check``, versions it (who, when, why, diff), audits ``policy.changed`` and
loads it. With ``policies_source: files`` that service refuses (the files are the source):
the approval then says so and changes nothing. A policy holds one trial section, so a
department's second trial is approved only once the running one's stop is recorded
(``none_running``), and two approvals at the same instant cannot both pass that check
(``claim``): the approval is the first thing the transaction writes, the database refuses a
second running trial of a department, and the policy's new version is written in the same
transaction (``policies.edits.stage_department_policy``), so it commits with the approval or
not at all.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import yaml
from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.kernel.errors import Conflict
from gateway.kernel.vocab import TrialStage
from gateway.trials.models import TrialRow
from gateway.trials.proposal import Proposal
from policies.edits import PolicyChange
from policies.store import PolicyStore


async def read_document(*, store: PolicyStore, department: str) -> dict[str, Any]:
    """The department's own document as a mapping ({} when it has none yet)."""
    for document in await store.documents():
        if document.department == department:
            data = yaml.safe_load(document.text) or {}
            return dict(data) if isinstance(data, dict) else {}
    return {}


async def none_running(*, session: AsyncSession, row: TrialRow) -> None:
    """A department's policy holds one trial section: approving a second trial while another
    runs would replace it and silently open the running trial's tasks to the whole department."""
    running = await session.scalar(
        select(TrialRow.id).where(
            TrialRow.department == row.department,
            TrialRow.stage == TrialStage.APPROVED.value,
            TrialRow.id != row.id,
        )
    )
    if running is not None:
        raise Conflict(
            f"{row.department}ではトライアル #{running} が実施中です。1 つの部署で同時に実施できる"
            "トライアルは 1 つです。実施中のトライアルの中止を記録してから承認してください。",
            f"Trial #{running} is running in {row.department}; a department runs one trial at a "
            "time. Record the running trial's stop decision first, then approve.",
        )


async def claim(
    *,
    session: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    row: TrialRow,
) -> None:
    """Move ``row`` to approved before anything else is written in the approval's transaction.

    The partial unique index ``uq_trials_one_running`` makes a concurrent approval of another
    trial of the department wait for this transaction and then fail (on SQLite, the write lock
    queues it the same way); the stage and version in the WHERE refuse a second step on this
    very trial taken from the same version (two tabs). Either way the loser writes nothing: no
    second policy."""
    try:
        result = await session.execute(
            update(TrialRow)
            .where(
                TrialRow.id == row.id,
                TrialRow.version == row.version,
                TrialRow.stage == row.stage,
            )
            .values(stage=TrialStage.APPROVED.value)
        )
    except IntegrityError as exc:
        # This transaction is unusable on PostgreSQL: name the winner from a fresh one.
        async with sessions() as fresh:
            await none_running(session=fresh, row=row)
        raise changed_meanwhile() from exc
    if not isinstance(result, CursorResult) or result.rowcount != 1:
        raise changed_meanwhile()


def changed_meanwhile() -> Conflict:
    return Conflict(
        "このトライアルは同時に変更されました。開き直してください。",
        "This trial was changed meanwhile; reload it.",
    )


def _trial_section(proposal: Proposal) -> dict[str, Any]:
    t = proposal.targets
    targets = {
        "hours_saved_per_week": t.hours_saved_per_week,
        "active_user_share": t.active_share,
        "satisfaction": t.satisfaction,
        "cost_per_hour_saved": t.cost_per_hour_saved,
    }
    return {
        "start": proposal.start,
        "end": proposal.end,
        "eligible_users": len(proposal.people),
        "people": list(proposal.people),
        "tasks": list(proposal.tasks),
        "targets": {k: v for k, v in targets.items() if v is not None},
    }


def approved(*, current: dict[str, Any], department: str, proposal: Proposal) -> dict[str, Any]:
    """The department's document with the trial in force: its dates, people, tasks and
    targets, the monthly budget in yen, and IT's models and blocked types when IT set them."""
    doc = dict(current)
    doc["department"] = department
    doc.setdefault("description", f"生成 AI トライアル: {proposal.purpose[:80]}")
    if proposal.models is not None:
        doc["allowed_models"] = list(proposal.models)
    quotas = dict(doc.get("quotas") or {})
    dept = dict(quotas.get("department") or {})
    month = dict(dept.get("month") or {})
    month["yen"] = proposal.budget_yen
    dept["month"] = month
    day = dict(dept.get("day") or {})
    if isinstance(day.get("yen"), int | float) and day["yen"] > proposal.budget_yen:
        day["yen"] = proposal.budget_yen  # a day's limit may not exceed the month's
        dept["day"] = day
    quotas["department"] = dept
    doc["quotas"] = quotas
    if proposal.block is not None:
        doc["redaction"] = dict(doc.get("redaction") or {}) | {"block": list(proposal.block)}
    doc["trial"] = _trial_section(proposal)
    use_cases = dict(doc.get("use_cases") or {})
    for task in proposal.tasks:  # reopened if an earlier stop had closed them
        if isinstance(use_cases.get(task), dict):
            use_cases[task] = {k: v for k, v in use_cases[task].items() if k != "until"}
    if use_cases:
        doc["use_cases"] = use_cases
    return doc


def stopped(
    *,
    current: dict[str, Any],
    proposal: Proposal,
    last_day: date,
    effective: dict[str, dict[str, Any]],
    inherited: bool,
) -> dict[str, Any]:
    """The trial's tasks close after ``last_day`` (the trial's end): ``until`` on each.

    ``effective``: the department's use cases in force (full definitions). A ``use_cases``
    mapping in a file replaces the built-in list unless the defaults file names use cases
    (``inherited``), so then every use case in force is written, not only the closed ones."""
    doc = dict(current)
    use_cases = dict(doc.get("use_cases") or {})
    if not inherited:
        use_cases = {name: dict(case) for name, case in effective.items()} | use_cases
    for task in proposal.tasks:
        base = dict(use_cases.get(task) or {})
        if task in effective:
            base = effective[task] | base
        use_cases[task] = base | {"until": last_day}
    doc["use_cases"] = use_cases
    return doc


def version_name(change: PolicyChange) -> str:
    return f"v{change.number}"
