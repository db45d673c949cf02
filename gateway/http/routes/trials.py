"""The trials as JSON (``/api/trials``): the list with stage, next review and targets met or
missed; one trial with its history; its monthly review's figures. IT admins see every trial, a
department manager their department's, staff none (refused and audited by the service).

Thin: ``gateway.trials.summaries`` decides who sees what and copies the figures the pages and
the company export show.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from gateway.auth import Caller, app_state, authenticate, refusals
from gateway.trials import company, service, summaries

router = APIRouter(prefix="/api/trials", tags=["trials"], dependencies=[Depends(authenticate)])


@router.get("")
async def list_trials(request: Request, caller: Caller) -> list[summaries.TrialSummary]:
    state = app_state(request)
    trials = await summaries.visible(
        desk=state.trial_desk(refusals(request, caller)), principal=caller
    )
    rows = await company.company(source=state.kpi_source(), trials=trials)
    return [summaries.summary(row) for row in rows]


@router.get("/{trial_id}")
async def get_trial(request: Request, caller: Caller, trial_id: int) -> summaries.TrialDetail:
    state = app_state(request)
    trial, steps = await service.history(
        desk=state.trial_desk(refusals(request, caller)), principal=caller, trial_id=trial_id
    )
    return summaries.detail(trial, steps, today=state.kpi_source().today())


@router.get("/{trial_id}/review")
async def get_review(request: Request, caller: Caller, trial_id: int) -> summaries.ReviewOut:
    state = app_state(request)
    r, _steps = await summaries.monthly(
        desk=state.trial_desk(refusals(request, caller)),
        source=state.kpi_source(),
        principal=caller,
        trial_id=trial_id,
    )
    return summaries.review_out(r)
