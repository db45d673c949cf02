"""The monthly review page of an approved trial (``/trials/{id}/review``): the KPIs against
the targets with the trend since the start, what worked and what did not, cost against budget,
both counts of time saved, a Japanese summary for a 稟議, and the decision form (continue,
expand, change, stop). Thin: ``gateway.trials.review`` computes, ``decisions`` records."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from gateway.auth import Caller, app_state, authenticate
from gateway.kernel.errors import BadRequest
from gateway.kernel.vocab import TrialAction, TrialDecision, TrialStage
from gateway.trials import decisions, review, summaries
from web import charts
from web.templating import render
from web.trials import WORDS, desk, lines, number

router = APIRouter(tags=["pages"], include_in_schema=False, dependencies=[Depends(authenticate)])


def _charts(r: review.Review) -> dict[str, charts.Chart]:
    target = r.trial.proposal.targets.hours_saved_per_week
    return {
        "hours_chart": charts.columns(
            "週ごとの削減時間 (時間)",
            [(f"{w.period.start.month}/{w.period.start.day}〜", w.hours_saved) for w in r.weeks],
            target=target,
            unit="時間",
        ),
        "users_chart": charts.columns(
            "週ごとのアクティブ利用者 (人)",
            [(f"{w.period.start.month}/{w.period.start.day}〜", float(w.active_users)) for w in r.weeks],
            unit="人",
        ),
    }  # fmt: skip


@router.get("/trials/{trial_id}/review")
async def review_page(request: Request, caller: Caller, trial_id: int) -> Response:
    state = app_state(request)
    r, steps = await summaries.monthly(
        desk=desk(request, caller), source=state.kpi_source(), principal=caller, trial_id=trial_id
    )
    trial = r.trial
    policy = state.policies.for_department(trial.department)
    labels = {name: case.label for name, case in policy.use_cases.items()}
    context = WORDS | {
        "r": r,
        "trial": trial,
        "p": trial.proposal,
        "summary": review.summary(r),
        "decided": [s for s in steps if s.action is TrialAction.DECIDED],
        # The form for the decision-maker, and for IT recording on their behalf.
        "may_decide": trial.stage is TrialStage.APPROVED and decisions.may_record(caller, trial),
        "on_behalf": caller.email != trial.proposal.decision_maker,
        "tasks": list(labels.items()),
        # The low ratings name their use case as the table above does (the policy's label).
        "use_case_labels": labels,
        "rule": policy.kpi.unrated,
    }
    return render(request, "trial_review.html", context | _charts(r))


@router.post("/trials/{trial_id}/decision")
async def decide(request: Request, caller: Caller, trial_id: int) -> Response:
    form = await request.form()
    try:
        decision = TrialDecision(str(form.get("decision") or ""))
    except ValueError as exc:
        raise BadRequest(
            "決定 (継続・拡大・変更・中止) を選んでください。",
            "Choose a decision (continue, expand, change, stop).",
        ) from exc
    await decisions.decide(
        desk=desk(request, caller),
        source=app_state(request).kpi_source(),
        principal=caller,
        trial_id=trial_id,
        decision=decision,
        comment=str(form.get("comment") or ""),
        people=lines(form.get("people")),
        tasks=[str(t) for t in form.getlist("tasks")] or None,
        hours_target=number(form, "target_hours"),
        on_behalf=form.get("on_behalf") == "1",
    )
    return RedirectResponse(f"/trials/{trial_id}/review", status_code=303)
