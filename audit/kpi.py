"""Trial KPIs per department and week or month, aggregated in the database.

Definitions (also in docs/kpi.md, which managers read):

- A request is a ``chat.completion`` audit event; an *answer* is one whose outcome is ``ok``.
- *Active users*: people with at least one answer in the period. *Trial users*: people with any
  request since the trial started. Both are compared with the trial's ``eligible_users``.
- An answer is *accepted* unless its owner rated it down (rating 1-2 or 👎) and did not copy
  it (the chat page's copy button records ``answer.copied``: a copied answer was used).
  Whether an answer nobody rated or copied counts as accepted is the department policy's
  ``kpi.unrated`` (``adopted``, the default, or ``not_adopted``); both figures are computed
  (``hours_saved_all`` and ``hours_saved_rated``) and the review page shows them side by side
  with the share of answers rated, so the reader sees how much the estimate leans on them.
- *Minutes saved* of an accepted answer: the minutes its owner reported, else the use case's
  ``minutes_saved`` from the department's policy. *Hours saved per week* divides by the weeks
  of the period that have passed (``as_of``), so a half-finished month is not under-reported.
- *Cost per hour saved*: yen charged to the quota divided by hours saved.

Periods (``audit.periods``) are calendar weeks (Monday first) and months in the configured
time zone (Asia/Tokyo by default); their bounds are converted to UTC for the indexed
``created_at`` range. Every number is a GROUP BY in SQL (``audit.kpi_queries``); this module only
looks up each use case's minutes and shapes results.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from audit import kpi_queries as q
from audit.periods import Period, weeks
from gateway.kernel.vocab import Outcome
from policies.model import Policy
from policies.resolve import PolicySource


@dataclass(frozen=True)
class UseCaseKpi:
    use_case: str
    label: str
    answers: int
    accepted: int
    minutes_saved: float  # under the department's counting rule
    cost_jpy: float
    rated: int = 0  # answers with any feedback
    unrated: int = 0  # answers neither rated nor copied
    ratings: int = 0
    rating_sum: float = 0.0
    low: int = 0  # rated down (1-2 or 👎)
    minutes_reported: float = 0.0  # minutes people reported themselves
    minutes_all: float = 0.0  # unrated answers counted as adopted
    minutes_rated: float = 0.0  # unrated answers not counted

    @property
    def mean_rating(self) -> float | None:
        return round(self.rating_sum / self.ratings, 2) if self.ratings else None


@dataclass(frozen=True)
class TrialProgress:
    start: date
    end: date
    day: int  # day N of ``days`` at the end of the period (or ``as_of``)
    days: int
    eligible_users: int
    trial_users: int
    target_hours_per_week: float | None
    target_active_share: float | None


@dataclass(frozen=True)
class Kpis:
    department: str | None  # None: every department
    period: Period
    requests: int
    answers: int
    refused: int
    failed: int
    refusals: dict[str, int]
    active_users: int
    active_share: float | None
    use_cases: tuple[UseCaseKpi, ...]
    accepted: int
    minutes_saved: float
    hours_saved: float
    hours_saved_per_week: float
    ratings: int
    mean_rating: float | None
    votes: int
    helpful_share: float | None
    reported_minutes: int  # answers whose owner reported the minutes saved
    cost_jpy: float
    cost_per_hour_saved: float | None
    tokens: int
    redactions: dict[str, int] = field(default_factory=dict)
    trial: TrialProgress | None = None
    rated: int = 0  # answers with any feedback
    unrated: int = 0  # answers neither rated nor copied
    unrated_rule: str = "adopted"  # the department policy's kpi.unrated (None: each its own)
    minutes_reported: float = 0.0
    hours_saved_all: float = 0.0  # unrated answers counted as adopted
    hours_saved_rated: float = 0.0  # unrated answers not counted

    @property
    def rated_share(self) -> float | None:
        return round(self.rated / self.answers, 4) if self.answers else None

    @property
    def hours_target_met(self) -> bool | None:
        target = self.trial.target_hours_per_week if self.trial else None
        return None if target is None else self.hours_saved_per_week >= target


def _trial(
    policy: Policy | None, period: Period, as_of: date | None, trial_users: int
) -> TrialProgress | None:
    trial = policy.trial if policy is not None else None
    if trial is None:
        return None
    last = min(period.end - timedelta(days=1), as_of or period.end, trial.end)
    return TrialProgress(
        start=trial.start,
        end=trial.end,
        day=max(0, (last - trial.start).days + 1),
        days=(trial.end - trial.start).days + 1,
        eligible_users=trial.eligible_users,
        trial_users=trial_users,
        target_hours_per_week=trial.targets.hours_saved_per_week,
        target_active_share=trial.targets.active_user_share,
    )


def _use_cases(
    rows: list[Any], policies: PolicySource, labels: Policy
) -> tuple[list[UseCaseKpi], int]:
    """Per use case; minutes come from each department's own policy, and so does its rule for
    unrated answers. Returns the rows and the number of answers whose owner reported minutes."""
    merged: dict[str, list[float]] = {}
    reported_count = 0
    for row in rows:
        department, use_case, answers, accepted, reported, n_reported, cost = row[:7]
        rated, unrated, ratings, rating_sum, low = (int(x or 0) for x in row[7:])
        policy = policies.for_department(department or "")
        known = policy.use_cases.get(use_case or "")
        each = known.minutes_saved if known else 0.0
        every = float(reported) + (int(accepted) - int(n_reported)) * each
        only_rated = every - unrated * each
        applied = every if policy.kpi.unrated == "adopted" else only_rated
        acc = merged.setdefault(use_case or "", [0.0] * 12)
        values = (answers, accepted, applied, cost, rated, unrated, ratings, rating_sum, low)
        for i, v in enumerate((*values, reported, every, only_rated)):
            acc[i] += float(v)
        reported_count += int(n_reported)
    result = []
    for use_case, acc in sorted(merged.items()):
        known = labels.use_cases.get(use_case)
        label = known.label if known else use_case
        result.append(
            UseCaseKpi(
                use_case, label, int(acc[0]), int(acc[1]), round(acc[2], 2), acc[3],
                rated=int(acc[4]), unrated=int(acc[5]), ratings=int(acc[6]), rating_sum=acc[7],
                low=int(acc[8]), minutes_reported=round(acc[9], 2),
                minutes_all=round(acc[10], 2), minutes_rated=round(acc[11], 2),
            )
        )  # fmt: skip
    return result, reported_count


async def compute(
    *,
    session: AsyncSession,
    policies: PolicySource,
    department: str | None,
    period: Period,
    tz: ZoneInfo,
    as_of: date | None = None,
) -> Kpis:
    """The KPIs of ``department`` (None: all) in ``period``; ``as_of`` is today for a period
    still running (hours per week are over the days passed)."""
    lo, hi = period.utc(tz)
    scope = q.Scope(department, lo, hi)
    policy = policies.for_department(department) if department is not None else None
    counts = {"ok": 0, "refused": 0, "failed": 0}
    refusals: dict[str, int] = {}
    cost, tokens = 0.0, 0
    for outcome, error_code, n, yen, used in await q.outcomes(session, scope):
        bucket = outcome if outcome in (Outcome.OK, Outcome.REFUSED) else "failed"
        counts[bucket] += int(n)
        if outcome == Outcome.REFUSED:
            refusals[error_code or "unknown"] = refusals.get(error_code or "unknown", 0) + int(n)
        cost += float(yen)
        tokens += int(used)
    active = await q.distinct_users(session, scope, answered=True)
    use_cases, reported = _use_cases(
        await q.by_use_case(session, scope), policies, policy or policies.for_department("")
    )
    ratings, mean, votes, helpful = await q.satisfaction(session, scope)
    trial_users = 0
    if policy is not None and policy.trial is not None:
        since = datetime.combine(policy.trial.start, time(), tz).astimezone(UTC)
        trial_users = await q.distinct_users(
            session, q.Scope(department, since, hi), answered=False
        )
    trial = _trial(policy, period, as_of, trial_users)
    minutes = sum(u.minutes_saved for u in use_cases)
    hours = minutes / 60
    elapsed = period.days
    if as_of is not None and period.start <= as_of < period.end:
        elapsed = (as_of - period.start).days + 1
    eligible = trial.eligible_users if trial else None
    return Kpis(
        department=department,
        period=period,
        requests=sum(counts.values()),
        answers=sum(u.answers for u in use_cases),  # parts of a long document are not answers
        refused=counts["refused"],
        failed=counts["failed"],
        refusals=dict(sorted(refusals.items())),
        active_users=active,
        active_share=round(active / eligible, 4) if eligible else None,
        use_cases=tuple(use_cases),
        accepted=sum(u.accepted for u in use_cases),
        minutes_saved=round(minutes, 2),
        hours_saved=round(hours, 2),
        hours_saved_per_week=round(hours * 7 / elapsed, 2),
        ratings=int(ratings),
        mean_rating=round(float(mean), 2) if mean is not None else None,
        votes=int(votes),
        helpful_share=round(int(helpful) / int(votes), 4) if votes else None,
        reported_minutes=reported,
        cost_jpy=round(cost, 2),
        cost_per_hour_saved=round(cost / hours, 2) if hours else None,
        tokens=tokens,
        redactions=await q.redactions(session, scope),
        trial=trial,
        rated=sum(u.rated for u in use_cases),
        unrated=sum(u.unrated for u in use_cases),
        unrated_rule=policy.kpi.unrated if policy is not None else "",
        minutes_reported=round(sum(u.minutes_reported for u in use_cases), 2),
        hours_saved_all=round(sum(u.minutes_all for u in use_cases) / 60, 2),
        hours_saved_rated=round(sum(u.minutes_rated for u in use_cases) / 60, 2),
    )


async def weekly(
    *,
    session: AsyncSession,
    policies: PolicySource,
    department: str | None,
    start: date,
    end: date,
    tz: ZoneInfo,
    as_of: date | None = None,
) -> list[Kpis]:
    """One ``Kpis`` per week overlapping ``[start, end)`` (the monthly report's series)."""
    return [
        await compute(
            session=session,
            policies=policies,
            department=department,
            period=week,
            tz=tz,
            as_of=as_of,
        )
        for week in weeks(start, end)
        if as_of is None or week.start <= as_of
    ]
