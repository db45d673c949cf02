"""The trial pages: the list, a department manager's proposal form, and one trial with its
history and IT's review (approve, or send back with a comment).

Thin: each handler parses the form and calls ``gateway.trials.service``; the service checks
roles and departments (audited refusals) and owns every state change.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from gateway.auth import Caller, app_state, authenticate, refusals
from gateway.identity import people
from gateway.kernel.errors import BadRequest
from gateway.kernel.principal import Principal, Role
from gateway.kernel.vocab import TrialAction, TrialDecision
from gateway.trials import service, summaries
from gateway.trials.company import STAGE_JA
from gateway.trials.proposal import DEFAULT_DAYS, Proposal
from gateway.trials.service import Desk
from redaction.entities import LABELS_JA
from web.templating import render

router = APIRouter(tags=["pages"], include_in_schema=False, dependencies=[Depends(authenticate)])


ACTION_JA = {
    TrialAction.DRAFTED: "下書き保存",
    TrialAction.SUBMITTED: "提出",
    TrialAction.SENT_BACK: "差し戻し",
    TrialAction.RESUBMITTED: "再提出",
    TrialAction.APPROVED: "承認",
    TrialAction.DECIDED: "決定",
}
DECISION_JA = {
    TrialDecision.CONTINUE: "継続",
    TrialDecision.EXPAND: "拡大",
    TrialDecision.CHANGE: "変更",
    TrialDecision.STOP: "中止",
}
WORDS = {"stage_ja": STAGE_JA, "action_ja": ACTION_JA, "decision_ja": DECISION_JA}


def desk(request: Request, caller: Principal) -> Desk:
    return app_state(request).trial_desk(refusals(request, caller))


def number(form: FormData, name: str, scale: float = 1) -> float | None:
    raw = str(form.get(name) or "").strip().replace(",", "")
    if not raw:
        return None
    try:
        return float(raw) / scale
    except ValueError as exc:
        raise BadRequest(f"{name} は数値で入力してください。", f"{name} must be a number.") from exc


def lines(value: object) -> list[str]:
    return [x.strip() for x in str(value or "").replace(",", "\n").splitlines() if x.strip()]


def proposal_from(form: FormData) -> Proposal:
    """The form's fields as a ``Proposal``; a clear Japanese + English error otherwise."""
    days = number(form, "days")
    data: dict[str, Any] = {
        "purpose": form.get("purpose") or "",
        "tasks": form.getlist("tasks"),
        "people": lines(form.get("people")),
        "start": form.get("start") or "",
        "days": int(days) if days is not None else DEFAULT_DAYS,
        "budget_yen": int(number(form, "budget_yen") or 0),
        "targets": {
            "hours_saved_per_week": number(form, "target_hours"),
            "active_share": number(form, "target_active_pct", 100),
            "satisfaction": number(form, "target_satisfaction"),
            "cost_per_hour_saved": number(form, "target_cost_per_hour"),
        },
        "scope": form.get("scope") or "",
        "responsibility": form.get("responsibility") or "",
        "cost_bearer": form.get("cost_bearer") or "",
        "decision_maker": form.get("decision_maker") or "",
    }
    try:
        return Proposal.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise BadRequest(
            f"提案の入力に誤りがあります: {problems}", f"The proposal is not valid: {problems}"
        ) from exc


async def _form_context(request: Request, department: str) -> dict[str, Any]:
    state = app_state(request)
    policy = state.policies.for_department(department)
    tasks = [(name, case.label, case.minutes_saved) for name, case in policy.use_cases.items()]
    # The 最終判断者 is chosen from the directory: the department's people first.
    found = await people.directory(sessions=state.sessions)
    deciders = sorted(found, key=lambda n: n.department != department)
    return {"tasks": tasks, "today": state.kpi_source().today(), "deciders": deciders}


@router.get("/trials")
async def trials_page(request: Request, caller: Caller) -> Response:
    trials = await summaries.visible(desk=desk(request, caller), principal=caller)
    context = WORDS | {"trials": trials, "today": app_state(request).kpi_source().today()}
    return render(request, "trials.html", context)


@router.get("/trials/new")
async def new_trial(request: Request, caller: Caller) -> Response:
    if not service.may_propose(caller, caller.department):
        await service.require(desk(request, caller), False, "propose")
    context = await _form_context(request, caller.department) | {"trial": None}
    return render(request, "trial_form.html", context)


@router.post("/trials")
async def create_trial(request: Request, caller: Caller) -> Response:
    form = await request.form()
    created = await service.propose(
        desk=desk(request, caller),
        principal=caller,
        department=caller.department,
        proposal=proposal_from(form),
        submit=form.get("action") == "submit",
    )
    return RedirectResponse(f"/trials/{created.id}", status_code=303)


@router.get("/trials/{trial_id}")
async def trial_page(request: Request, caller: Caller, trial_id: int) -> Response:
    trial, steps = await service.history(
        desk=desk(request, caller), principal=caller, trial_id=trial_id
    )
    state = app_state(request)
    context = (
        WORDS
        | await _form_context(request, trial.department)
        | {
            "trial": trial,
            "p": trial.proposal,
            "steps": steps,
            "may_edit": service.may_propose(caller, trial.department)
            and trial.stage in service.EDITABLE,
            "may_review": caller.role is Role.ADMIN and trial.stage in service.UNDER_REVIEW,
            "models": [m.alias for m in state.settings.models],
            "policy": state.policies.for_department(trial.department),
            "entity_types": list(LABELS_JA.items()),
        }
    )
    return render(request, "trial.html", context)


@router.post("/trials/{trial_id}/edit")
async def edit_trial(request: Request, caller: Caller, trial_id: int) -> Response:
    form = await request.form()
    await service.edit(
        desk=desk(request, caller),
        principal=caller,
        trial_id=trial_id,
        proposal=proposal_from(form),
        submit=form.get("action") == "submit",
    )
    return RedirectResponse(f"/trials/{trial_id}", status_code=303)


@router.post("/trials/{trial_id}/review")
async def review_trial(request: Request, caller: Caller, trial_id: int) -> Response:
    form = await request.form()
    comment = str(form.get("comment") or "")
    if form.get("action") == "send_back":
        await service.send_back(
            desk=desk(request, caller), principal=caller, trial_id=trial_id, comment=comment
        )
    else:
        budget = number(form, "budget_yen")
        await service.approve(
            desk=desk(request, caller),
            principal=caller,
            trial_id=trial_id,
            comment=comment,
            models=[str(m) for m in form.getlist("models")] or None,
            budget_yen=int(budget) if budget is not None else None,
            block=[str(b) for b in form.getlist("block")] if form.get("set_block") else None,
        )
    return RedirectResponse(f"/trials/{trial_id}", status_code=303)
