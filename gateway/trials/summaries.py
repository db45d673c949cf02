"""What the trial pages and the JSON API (``/api/trials``) read: the trials a caller may see,
a trial's monthly review, and their figures as plain models.

Who sees what is decided here, once: IT admins every trial, a department manager their
department's, staff none (an audited refusal). The figures are the ones the company view
(``company.CompanyRow``, also its .xlsx/.csv) and the review page (``review.Review``) show;
this module only copies them into models, so the API cannot disagree with the pages.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from audit.reports import KpiSource
from gateway.kernel.errors import Conflict, Forbidden
from gateway.kernel.principal import Principal, Role
from gateway.kernel.vocab import TrialStage
from gateway.trials import review, service
from gateway.trials.company import CompanyRow
from gateway.trials.service import Desk, StepOut, TrialOut


async def visible(*, desk: Desk, principal: Principal) -> list[TrialOut]:
    """The trials ``principal`` may see, newest first; staff are refused (audited)."""
    if not principal.role.at_least(Role.MANAGER):
        await desk.refuse("trial: staff")
        raise Forbidden(
            "トライアルは部門管理者と情シス管理者が見るものです。",
            "Trials are for department managers and IT admins.",
        )
    department = None if principal.role is Role.ADMIN else principal.department
    return await service.listing(sessions=desk.sessions, department=department)


async def monthly(
    *, desk: Desk, source: KpiSource, principal: Principal, trial_id: int
) -> tuple[review.Review, list[StepOut]]:
    """The monthly review of an approved (or stopped) trial the caller may read, and its steps."""
    trial, steps = await service.history(desk=desk, principal=principal, trial_id=trial_id)
    if trial.stage not in (TrialStage.APPROVED, TrialStage.STOPPED):
        raise Conflict(
            "月次レビューは承認後のトライアルにだけあります。",
            "A monthly review exists only for an approved trial.",
        )
    return await review.review(source=source, trial=trial), steps


class CheckOut(BaseModel):
    key: str
    label: str
    value: float | None  # None: no figure yet (no ratings, no hours saved)
    target: float | None
    unit: str
    met: bool | None  # None: no target or no figure


def _checks(checks: list[review.Check]) -> list[CheckOut]:
    return [
        CheckOut(key=c.key, label=c.label, value=c.value, target=c.target, unit=c.unit, met=c.met)
        for c in checks
    ]


class TrialSummary(BaseModel):
    """One trial as the company view shows it (stage, next review, targets met or missed)."""

    id: int
    department: str
    stage: TrialStage
    purpose: str
    start: date
    end: date
    next_review: date | None  # running trials only
    people: int
    targets_met: list[str]  # check keys (``hours_per_week``, ``active_share``, ...)
    targets_missed: list[str]
    checks: list[CheckOut]
    hours_saved: float | None  # since the start; None before approval
    hours_saved_per_week: float | None
    mean_rating: float | None  # None: nobody rated yet
    cost_jpy: float | None
    active_users: int | None
    month_hours_saved: float | None  # this calendar month, as on the dashboard
    month_cost_jpy: float | None


def summary(row: CompanyRow) -> TrialSummary:
    t, k, m = row.trial, row.k, row.month
    return TrialSummary(
        id=t.id,
        department=t.department,
        stage=t.stage,
        purpose=t.proposal.purpose,
        start=t.proposal.start,
        end=t.proposal.end,
        next_review=row.next_review,
        people=len(t.proposal.people),
        targets_met=[c.key for c in row.checks if c.met is True],
        targets_missed=[c.key for c in row.checks if c.met is False],
        checks=_checks(row.checks),
        hours_saved=k.hours_saved if k else None,
        hours_saved_per_week=k.hours_saved_per_week if k else None,
        mean_rating=k.mean_rating if k else None,
        cost_jpy=k.cost_jpy if k else None,
        active_users=k.active_users if k else None,
        month_hours_saved=m.hours_saved if m else None,
        month_cost_jpy=m.cost_jpy if m else None,
    )


class TrialDetail(BaseModel):
    trial: TrialOut
    next_review: date | None
    steps: list[StepOut]


def detail(trial: TrialOut, steps: list[StepOut], *, today: date) -> TrialDetail:
    running = trial.stage in (TrialStage.APPROVED, TrialStage.STOPPED)
    next_review = trial.proposal.next_review(today) if running else None
    return TrialDetail(trial=trial, next_review=next_review, steps=steps)


class UseCaseOut(BaseModel):
    use_case: str
    label: str
    answers: int
    minutes_saved: float
    mean_rating: float | None
    low: int
    cost_jpy: float


class WeekOut(BaseModel):
    start: date
    hours_saved: float
    active_users: int


class ReviewOut(BaseModel):
    """The review page's figures: checks, both counts of time saved, cost against budget."""

    trial_id: int
    department: str
    stage: TrialStage
    as_of: date
    next_review: date | None
    checks: list[CheckOut]
    hours_saved: float  # under the department's counting rule (``unrated_rule``)
    hours_saved_per_week: float
    hours_saved_all: float  # unrated answers counted as adopted
    hours_saved_rated: float  # unrated answers not counted
    unrated_rule: str
    answers: int
    rated: int
    rated_share: float | None
    minutes_reported: float
    active_users: int
    active_share: float | None
    mean_rating: float | None
    ratings: int
    refused: int
    failed: int
    cost_jpy: float
    cost_per_hour_saved: float | None
    month_cost_jpy: float
    budget_yen: int
    budget_used: float | None
    worked: list[UseCaseOut]  # ranked by hours saved, then rating
    low_ratings: int
    weeks: list[WeekOut]
    summary: str  # the Japanese text for a 稟議, as on the page


def review_out(r: review.Review) -> ReviewOut:
    k = r.k
    return ReviewOut(
        trial_id=r.trial.id,
        department=r.trial.department,
        stage=r.trial.stage,
        as_of=r.as_of,
        next_review=r.next_review,
        checks=_checks(r.checks),
        hours_saved=k.hours_saved,
        hours_saved_per_week=k.hours_saved_per_week,
        hours_saved_all=k.hours_saved_all,
        hours_saved_rated=k.hours_saved_rated,
        unrated_rule=k.unrated_rule,
        answers=k.answers,
        rated=k.rated,
        rated_share=k.rated_share,
        minutes_reported=k.minutes_reported,
        active_users=k.active_users,
        active_share=k.active_share,
        mean_rating=k.mean_rating,
        ratings=k.ratings,
        refused=k.refused,
        failed=k.failed,
        cost_jpy=k.cost_jpy,
        cost_per_hour_saved=k.cost_per_hour_saved,
        month_cost_jpy=r.month.cost_jpy,
        budget_yen=r.trial.proposal.budget_yen,
        budget_used=r.budget_used,
        worked=[
            UseCaseOut(
                use_case=u.use_case,
                label=u.label,
                answers=u.answers,
                minutes_saved=u.minutes_saved,
                mean_rating=u.mean_rating,
                low=u.low,
                cost_jpy=u.cost_jpy,
            )
            for u in r.worked
        ],
        low_ratings=len(r.low),
        weeks=[
            WeekOut(start=w.period.start, hours_saved=w.hours_saved, active_users=w.active_users)
            for w in r.weeks
        ],
        summary=review.summary(r),
    )
