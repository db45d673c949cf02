"""The decision recorded at a monthly review, and what it does to the department's policy:

- continue: nothing changes;
- expand: more eligible people and/or more tasks (the trial section is written again);
- change: the tasks and the weekly-hours target replaced;
- stop: the trial's tasks close after its end date (``until`` on each use case), so people can
  finish what they started; the trial's stage becomes ``stopped``.

Only the trial's final decision-maker (a person of the directory) records it, or an IT admin
who says they record it on the decision-maker's behalf (stored as such on the step); anyone
else is refused and the refusal audited (``auth.forbidden``).

The decision is stored with the KPI figures it was made on (``TrialStep.figures``), audited
(``trial.decided``, and ``policy.changed`` by the policy service) and notified.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from audit.reports import KpiSource
from gateway.kernel.errors import BadRequest, Conflict, Forbidden
from gateway.kernel.principal import Principal, Role
from gateway.kernel.vocab import TrialAction, TrialDecision, TrialStage
from gateway.trials import policy_doc, review
from gateway.trials.proposal import Proposal
from gateway.trials.service import (
    Desk,
    TrialOut,
    load,
    may_read_trial,
    require,
    step,
    tell,
    trial_out,
)
from policies.documents import DEFAULTS
from policies.edits import PolicyChange, publish, stage_department_policy


def _changed(
    proposal: Proposal,
    decision: TrialDecision,
    people: list[str],
    tasks: list[str] | None,
    hours_target: float | None,
) -> Proposal:
    data: dict[str, Any] = proposal.model_dump()
    if decision is TrialDecision.EXPAND:
        data["people"] = [*proposal.people, *people]
        data["tasks"] = list(dict.fromkeys([*proposal.tasks, *(tasks or [])]))
    elif decision is TrialDecision.CHANGE:
        data["tasks"] = tasks or proposal.tasks
        data["targets"] = data["targets"] | {"hours_saved_per_week": hours_target}
    try:
        changed = Proposal.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise BadRequest(f"入力に誤りがあります: {problems}", f"Not valid: {problems}") from exc
    if decision in (TrialDecision.EXPAND, TrialDecision.CHANGE) and changed == proposal:
        raise BadRequest(
            "拡大・変更では、追加する対象者・業務か、変える目標を入力してください。",
            "Expand or change needs people or tasks to add, or a target to change.",
        )
    return changed


async def decide(
    *,
    desk: Desk,
    source: KpiSource,
    principal: Principal,
    trial_id: int,
    decision: TrialDecision,
    comment: str,
    people: list[str] | None = None,
    tasks: list[str] | None = None,
    hours_target: float | None = None,
    on_behalf: bool = False,
) -> TrialOut:
    """Record ``decision`` on an approved trial: by its decision-maker, or by an IT admin who
    says they record it on the decision-maker's behalf (``on_behalf``, stored on the step)."""
    async with desk.sessions() as session:
        current_row = await load(session, trial_id)
        trial = trial_out(current_row)
    readable = may_read_trial(principal, trial.department, trial.proposal)
    await require(desk, readable, "read", trial=trial_id)
    for_whom = await _decider(desk, principal, trial, on_behalf=on_behalf)
    if trial.stage is not TrialStage.APPROVED:
        raise Conflict(
            "決定を記録できるのは実施中 (承認済み) のトライアルだけです。",
            "A decision can be recorded only for an approved, running trial.",
        )
    if not comment.strip():
        raise BadRequest(
            "決定の理由 (コメント) を書いてください。", "Give a reason for the decision."
        )
    figures = (await review.review(source=source, trial=trial)).figures()
    proposal = _changed(trial.proposal, decision, people or [], tasks, hours_target)
    after = TrialStage.STOPPED if decision is TrialDecision.STOP else TrialStage.APPROVED
    async with desk.sessions.begin() as session:
        row = await load(session, trial_id)
        if row.version != trial.version:
            raise policy_doc.changed_meanwhile()
        # A second decision taken from the same version (two tabs, the maker and IT at once)
        # is refused by ``step``'s UPDATE ... WHERE version (or, first, by the policy's unique
        # version number): a 409, and its policy version rolls back with this transaction.
        change = await _apply(desk, session, principal, trial, decision, proposal, comment.strip())
        row.proposal = proposal.model_dump(mode="json")
        row.stage = after.value
        done = await step(
            session=session,
            row=row,
            principal=principal,
            action=TrialAction.DECIDED,
            decision=decision,
            comment=comment.strip(),
            policy_version=policy_doc.version_name(change) if change else None,
            figures=figures,
            on_behalf_of=for_whom,
        )
    if change is not None:
        await publish(store=desk.policies, change=change)
    return await tell(desk, done, f"{decision.value}: {comment.strip()}")


def may_record(principal: Principal, trial: TrialOut) -> bool:
    """Whether the decision form is for ``principal``: the trial's decision-maker, or an IT
    admin (who must then say they record it on the decision-maker's behalf)."""
    return principal.email == trial.proposal.decision_maker or principal.role is Role.ADMIN


async def _decider(
    desk: Desk, principal: Principal, trial: TrialOut, *, on_behalf: bool
) -> str | None:
    """None when the decision-maker records it; their e-mail when IT records it for them.
    Anyone else is refused (``auth.forbidden``)."""
    maker = trial.proposal.decision_maker
    if principal.email == maker:
        return None
    if on_behalf and may_record(principal, trial):
        return maker
    await desk.refuse("trial: decide", trial=trial.id, decision_maker=maker)
    raise Forbidden(
        f"決定を記録できるのは最終判断者 ({maker}) だけです。情報システム部の管理者は"
        "「最終判断者の代理として記録」を選べば代わりに記録できます。",
        f"Only the final decision-maker ({maker}) may record a decision; an IT admin may "
        "record it on their behalf by saying so.",
    )


async def _apply(
    desk: Desk,
    session: AsyncSession,
    principal: Principal,
    trial: TrialOut,
    decision: TrialDecision,
    proposal: Proposal,
    comment: str,
) -> PolicyChange | None:
    """The policy change the decision makes, in the decision's transaction (None for
    continue); ``publish`` once committed."""
    if decision is TrialDecision.CONTINUE:
        return None
    current = await policy_doc.read_document(store=desk.policies, department=trial.department)
    if decision is TrialDecision.STOP:
        defaults = await policy_doc.read_document(store=desk.policies, department=DEFAULTS)
        in_force = desk.policies.for_department(trial.department).use_cases
        document = policy_doc.stopped(
            current=current,
            proposal=proposal,
            last_day=proposal.end,
            effective={
                n: c.model_dump(mode="json", exclude_none=True) for n, c in in_force.items()
            },
            inherited="use_cases" in defaults,
        )
    else:
        document = policy_doc.approved(
            current=current, department=trial.department, proposal=proposal
        )
    return await stage_department_policy(
        store=desk.policies,
        session=session,
        department=trial.department,
        document=document,
        author=principal.email,
        reason=f"トライアル #{trial.id} の決定 ({decision.value}): {comment}"[:500],
    )
