"""The trial's proposal and review: a department manager drafts and submits, IT sends it back
with a comment or approves it (possibly changing models, budget and blocked types), and the
approval writes the department's policy. Every step is a versioned row, an audit event and a
notification.

Keyword-only functions, no ``Request``: the pages and the JSON routes are thin callers. Role
rules live here (a manager proposes for their own department only; only IT admins review),
each refusal recorded through ``desk.refuse``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from gateway.kernel.clock import utcnow
from gateway.kernel.errors import BadRequest, Conflict, Forbidden, NotFound
from gateway.kernel.events import AuditSink, EventIn
from gateway.kernel.principal import Principal, Role
from gateway.kernel.vocab import EventType, Outcome, TrialAction, TrialDecision, TrialStage
from gateway.trials import policy_doc
from gateway.trials.models import TrialRow, TrialStep
from gateway.trials.proposal import Proposal
from policies.edits import publish, stage_department_policy
from policies.store import PolicyStore

log = logging.getLogger(__name__)

EDITABLE = (TrialStage.DRAFT, TrialStage.SENT_BACK)
UNDER_REVIEW = (TrialStage.SUBMITTED, TrialStage.RESUBMITTED)


class Refuse(Protocol):
    """Record an audited refusal of the current caller (``gateway.auth.refusals``)."""

    def __call__(self, reason: str, **detail: object) -> Awaitable[None]: ...


Notify = Callable[[str, str], Awaitable[None]]  # subject, body (plain text)
IsPerson = Callable[[str], Awaitable[bool]]  # e-mail -> an active person of the directory


async def log_only(subject: str, body: str) -> None:
    """For callers without the notifier (CLI, tests of the service alone)."""
    log.info("trial notification: %s", subject, extra={"body": body})


@dataclass(frozen=True)
class Desk:
    """What the trial services need from the running gateway (``is_person``: whether an
    e-mail is an active person of the directory, ``gateway.identity.people.is_active``)."""

    sessions: async_sessionmaker[AsyncSession]
    audit: AuditSink
    policies: PolicyStore
    refuse: Refuse
    is_person: IsPerson
    notify: Notify = log_only


class TrialOut(BaseModel):
    id: int
    department: str
    stage: TrialStage
    version: int
    proposal: Proposal
    created_by: str
    created_at: datetime
    updated_at: datetime


class StepOut(BaseModel):
    version: int
    action: TrialAction
    decision: TrialDecision | None
    stage: TrialStage
    actor: str
    role: str
    comment: str
    proposal: Proposal
    policy_version: str | None
    figures: dict[str, Any]
    on_behalf_of: str | None = None
    created_at: datetime


@dataclass(frozen=True)
class Stepped:
    """A step written but not yet committed: the trial after it, and its audit event."""

    trial: TrialOut
    event: EventIn


def trial_out(row: TrialRow) -> TrialOut:
    return TrialOut.model_validate(row, from_attributes=True)


def _deny_ja(reason: str) -> Forbidden:
    return Forbidden(reason, "You may not do this with this trial (role or department).")


async def require(desk: Desk, ok: bool, why: str, **detail: object) -> None:
    if not ok:
        await desk.refuse(f"trial: {why}", **detail)
        raise _deny_ja(
            {
                "propose": "トライアルを提案できるのは、その部署の部門管理者だけです。",
                "review": "トライアルを承認・差し戻しできるのは情シス管理者だけです。",
                "read": "ほかの部署のトライアルは見られません。",
            }[why]
        )


def may_read(principal: Principal, department: str) -> bool:
    if principal.role is Role.ADMIN:
        return True
    return principal.role is Role.MANAGER and principal.department == department


def may_read_trial(principal: Principal, department: str, proposal: Proposal) -> bool:
    """The department's readers, and the trial's decision-maker wherever they work."""
    return may_read(principal, department) or principal.email == proposal.decision_maker


async def check_decision_maker(desk: Desk, proposal: Proposal) -> None:
    """The 最終判断者 must be an active person of the directory (chosen from it on the form)."""
    if not await desk.is_person(proposal.decision_maker):
        who = proposal.decision_maker
        raise BadRequest(
            f"最終判断者 {who} は利用者一覧にいないか、無効化されています。一覧から選んでください。",
            f"The final decision-maker {who} is not an active person of the directory; "
            "choose one from the list.",
        )


def may_propose(principal: Principal, department: str) -> bool:
    return principal.role.at_least(Role.MANAGER) and principal.department == department


async def load(session: AsyncSession, trial_id: int) -> TrialRow:
    row = await session.get(TrialRow, trial_id, with_for_update=True)
    if row is None:
        raise NotFound("トライアルが見つかりません。", "No such trial.")
    return row


async def step(
    *,
    session: AsyncSession,
    row: TrialRow,
    principal: Principal,
    action: TrialAction,
    comment: str = "",
    decision: TrialDecision | None = None,
    policy_version: str | None = None,
    figures: dict[str, Any] | None = None,
    on_behalf_of: str | None = None,
) -> Stepped:
    """Append a step (the history is the versioned record); ``tell`` audits and notifies it
    once committed."""
    now = utcnow()
    row.version += 1
    row.updated_at = now
    session.add(
        TrialStep(
            trial_id=row.id,
            version=row.version,
            action=action.value,
            decision=decision.value if decision else None,
            stage=row.stage,
            actor=principal.email,
            role=principal.role.value,
            comment=comment,
            proposal=row.proposal,
            policy_version=policy_version,
            figures=figures or {},
            on_behalf_of=on_behalf_of,
            created_at=now,
        )
    )
    try:
        await session.flush()
    except StaleDataError as exc:  # another step of this trial committed since ``load``
        raise policy_doc.changed_meanwhile() from exc
    detail = {
        "trial": row.id,
        "version": row.version,
        "stage": row.stage,
        "action": action.value,
        "decision": decision.value if decision else None,
        "comment": comment[:500],
        "policy_version": policy_version,
        **({"on_behalf_of": on_behalf_of} if on_behalf_of else {}),
    }
    event = EventIn(
        event_type=_EVENTS[action],
        outcome=Outcome.OK,
        user_email=principal.email,
        department=row.department,
        role=principal.role.value,
        policy_version=policy_version,
        detail=detail,
    )
    return Stepped(trial_out(row), event)


async def tell(desk: Desk, stepped: Stepped, steps_comment: str = "") -> TrialOut:
    """Audit and e-mail/webhook a step once its transaction committed, never inside it: only
    committed steps are audited, and a writer waiting for its commit (``audit_wait_for_commit``)
    would wait on SQLite's write lock held by the step (the crash gap: docs/deploy.md)."""
    await desk.audit(stepped.event)
    trial = stepped.trial
    subject = f"[架け橋] トライアル #{trial.id} {trial.department}: {trial.stage.value}"
    body = (
        f"部署: {trial.department}\n段階: {trial.stage.value} (版 {trial.version})\n"
        f"目的: {trial.proposal.purpose}\n期間: {trial.proposal.start} 〜 {trial.proposal.end}\n"
        + (f"コメント: {steps_comment}\n" if steps_comment else "")
        + f"詳細: /trials/{trial.id}"
    )
    await desk.notify(subject, body)
    return trial


_EVENTS = {
    TrialAction.DRAFTED: EventType.TRIAL_PROPOSED,
    TrialAction.SUBMITTED: EventType.TRIAL_SUBMITTED,
    TrialAction.RESUBMITTED: EventType.TRIAL_SUBMITTED,
    TrialAction.SENT_BACK: EventType.TRIAL_SENT_BACK,
    TrialAction.APPROVED: EventType.TRIAL_APPROVED,
    TrialAction.DECIDED: EventType.TRIAL_DECIDED,
}


async def propose(
    *, desk: Desk, principal: Principal, department: str, proposal: Proposal, submit: bool
) -> TrialOut:
    """A new proposal (a draft, or submitted at once) by the department's manager."""
    await require(desk, may_propose(principal, department), "propose", department=department)
    await check_decision_maker(desk, proposal)
    now = utcnow()
    clean = proposal.model_copy(update={"models": None, "block": None})  # IT's fields
    async with desk.sessions.begin() as session:
        row = TrialRow(
            department=department,
            stage=(TrialStage.SUBMITTED if submit else TrialStage.DRAFT).value,
            version=0,
            proposal=clean.model_dump(mode="json"),
            created_by=principal.email,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        await session.flush()
        action = TrialAction.SUBMITTED if submit else TrialAction.DRAFTED
        done = await step(session=session, row=row, principal=principal, action=action)
    return await tell(desk, done)


async def edit(
    *, desk: Desk, principal: Principal, trial_id: int, proposal: Proposal, submit: bool
) -> TrialOut:
    """Change a draft or a sent-back proposal; ``submit`` sends it (again) to IT."""
    async with desk.sessions.begin() as session:
        row = await load(session, trial_id)
        await require(desk, may_propose(principal, row.department), "propose", trial=trial_id)
        if row.stage not in EDITABLE:
            raise Conflict(
                "提出済み・承認済みのトライアルは編集できません。",
                "Only a draft or a sent-back proposal can be edited.",
            )
        await check_decision_maker(desk, proposal)
        was_sent_back = row.stage == TrialStage.SENT_BACK
        row.proposal = proposal.model_copy(update={"models": None, "block": None}).model_dump(
            mode="json"
        )
        action = TrialAction.DRAFTED
        if submit:
            action = TrialAction.RESUBMITTED if was_sent_back else TrialAction.SUBMITTED
            row.stage = (TrialStage.RESUBMITTED if was_sent_back else TrialStage.SUBMITTED).value
        done = await step(session=session, row=row, principal=principal, action=action)
    return await tell(desk, done)


def _under_review(row: TrialRow) -> None:
    if row.stage not in UNDER_REVIEW:
        raise Conflict(
            "審査できるのは提出済みのトライアルだけです。",
            "Only a submitted proposal can be reviewed.",
        )


async def send_back(*, desk: Desk, principal: Principal, trial_id: int, comment: str) -> TrialOut:
    """IT returns the proposal to the department with what to change."""
    await require(desk, principal.role is Role.ADMIN, "review", trial=trial_id)
    if not comment.strip():
        raise _missing_comment()
    async with desk.sessions.begin() as session:
        row = await load(session, trial_id)
        _under_review(row)
        row.stage = TrialStage.SENT_BACK.value
        done = await step(
            session=session,
            row=row,
            principal=principal,
            action=TrialAction.SENT_BACK,
            comment=comment.strip(),
        )
    return await tell(desk, done, comment.strip())


def _missing_comment() -> Conflict:
    return Conflict(
        "差し戻しには、何を直すかのコメントが必要です。",
        "Sending back needs a comment saying what to change.",
    )


async def approve(
    *,
    desk: Desk,
    principal: Principal,
    trial_id: int,
    comment: str,
    models: list[str] | None,
    budget_yen: int | None,
    block: list[str] | None,
) -> TrialOut:
    """IT approves, possibly changing the models, the budget and the blocked types; the
    department's policy is written first (a policy the folder check refuses approves nothing)."""
    await require(desk, principal.role is Role.ADMIN, "review", trial=trial_id)
    async with desk.sessions.begin() as session:
        row = await load(session, trial_id)
        _under_review(row)
        await policy_doc.none_running(session=session, row=row)
        changes: dict[str, Any] = {"models": models, "block": block}
        if budget_yen is not None:
            changes["budget_yen"] = budget_yen
        proposal = Proposal.model_validate(row.proposal).model_copy(update=changes)
        proposal = Proposal.model_validate(proposal.model_dump())  # IT's values validated too
        await policy_doc.claim(session=session, sessions=desk.sessions, row=row)
        current = await policy_doc.read_document(store=desk.policies, department=row.department)
        document = policy_doc.approved(
            current=current, department=row.department, proposal=proposal
        )
        change = await stage_department_policy(
            store=desk.policies,
            session=session,
            department=row.department,
            document=document,
            author=principal.email,
            reason=f"トライアル #{row.id} 承認: {comment.strip()}"[:500],
        )
        row.stage = TrialStage.APPROVED.value
        row.proposal = proposal.model_dump(mode="json")
        done = await step(
            session=session,
            row=row,
            principal=principal,
            action=TrialAction.APPROVED,
            comment=comment.strip(),
            policy_version=policy_doc.version_name(change),
        )
    await publish(store=desk.policies, change=change)
    return await tell(desk, done, comment.strip())


async def listing(
    *, sessions: async_sessionmaker[AsyncSession], department: str | None
) -> list[TrialOut]:
    """Trials of ``department`` (None: every department), newest first."""
    query = select(TrialRow).order_by(TrialRow.id.desc()).limit(500)
    if department is not None:
        query = query.where(TrialRow.department == department)
    async with sessions() as session:
        return [trial_out(r) for r in (await session.scalars(query)).all()]


async def history(
    *, desk: Desk, principal: Principal, trial_id: int
) -> tuple[TrialOut, list[StepOut]]:
    """A trial and its steps, for whoever may read its department."""
    async with desk.sessions() as session:
        row = await session.get(TrialRow, trial_id)
        if row is None:
            raise NotFound("トライアルが見つかりません。", "No such trial.")
        readable = may_read_trial(principal, row.department, Proposal.model_validate(row.proposal))
        await require(desk, readable, "read", trial=trial_id)
        steps = await session.scalars(
            select(TrialStep).where(TrialStep.trial_id == trial_id).order_by(TrialStep.version)
        )
        return trial_out(row), [StepOut.model_validate(s, from_attributes=True) for s in steps]
