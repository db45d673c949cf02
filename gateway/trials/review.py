"""The monthly review of an approved trial: its KPIs since the start against the targets, the
weekly trend, what worked and what did not, cost against budget, the two counts of time saved
and a plain Japanese summary a manager can paste into a 稟議.

Every figure comes from ``audit.kpi`` (the same SQL as the dashboard and the CSV); this module
only compares and words them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from audit import kpi
from audit.kpi import Kpis, UseCaseKpi
from audit.lowrated import LowRating, low_ratings
from audit.periods import Period, period_of
from audit.reports import KpiSource, weekly_kpis
from gateway.trials.service import TrialOut


@dataclass(frozen=True)
class Check:
    """One KPI against its target; ``met`` is None when there is no target or no figure."""

    key: str
    label: str
    value: float | None
    target: float | None
    unit: str
    higher_is_better: bool = True

    @property
    def met(self) -> bool | None:
        if self.value is None or self.target is None:
            return None
        return self.value >= self.target if self.higher_is_better else self.value <= self.target


@dataclass(frozen=True)
class Review:
    trial: TrialOut
    as_of: date  # the last day counted
    k: Kpis  # the trial so far
    month: Kpis  # the calendar month of ``as_of`` (cost against the monthly budget)
    weeks: list[Kpis]
    checks: list[Check]
    worked: list[UseCaseKpi]
    low: list[LowRating]
    next_review: date | None

    @property
    def budget_used(self) -> float | None:
        budget = self.trial.proposal.budget_yen
        return round(self.month.cost_jpy / budget, 4) if budget else None

    def figures(self) -> dict[str, float | int | str | None]:
        """What a decision is recorded with (the trial's step keeps it)."""
        return {
            "as_of": self.as_of.isoformat(),
            **{c.key: c.value for c in self.checks},
            "hours_saved": self.k.hours_saved,
            "hours_saved_all": self.k.hours_saved_all,
            "hours_saved_rated": self.k.hours_saved_rated,
            "rated_share": self.k.rated_share,
            "answers": self.k.answers,
            "cost_jpy": self.k.cost_jpy,
        }


def checks(k: Kpis, trial: TrialOut) -> list[Check]:
    t = trial.proposal.targets
    return [
        Check("hours_per_week", "削減時間 (時間/週)", k.hours_saved_per_week, t.hours_saved_per_week, "時間"),
        Check("active_share", "利用した対象者の割合", k.active_share, t.active_share, "%"),
        Check("satisfaction", "満足度 (平均 1〜5)", k.mean_rating, t.satisfaction, ""),
        Check("cost_per_hour", "削減 1 時間あたり費用", k.cost_per_hour_saved, t.cost_per_hour_saved, "円", higher_is_better=False),
    ]  # fmt: skip


def _ranked(k: Kpis) -> list[UseCaseKpi]:
    return sorted(k.use_cases, key=lambda u: (-u.minutes_saved, -(u.mean_rating or 0), u.use_case))


def last_day(trial: TrialOut, today: date) -> date:
    """The last day counted: yesterday's figures are complete; never past the trial's end."""
    return max(trial.proposal.start, min(today, trial.proposal.end))


async def trial_kpis(*, source: KpiSource, trial: TrialOut, as_of: date) -> Kpis:
    span = Period("month", trial.proposal.start, as_of + timedelta(days=1))
    async with source.sessions() as session:
        return await kpi.compute(
            session=session,
            policies=source.policies,
            department=trial.department,
            period=span,
            tz=source.tz,
            as_of=as_of,
        )


async def review(*, source: KpiSource, trial: TrialOut) -> Review:
    today = source.today()
    as_of = last_day(trial, today)
    k = await trial_kpis(source=source, trial=trial, as_of=as_of)
    month_period = period_of("month", as_of)
    async with source.sessions() as session:
        month = await kpi.compute(
            session=session,
            policies=source.policies,
            department=trial.department,
            period=month_period,
            tz=source.tz,
            as_of=as_of,
        )
    weeks = await weekly_kpis(
        source=source,
        department=trial.department,
        start=trial.proposal.start,
        end=as_of + timedelta(days=1),
    )
    low = await low_ratings(
        sessions=source.sessions,
        department=trial.department,
        start=trial.proposal.start,
        end=as_of,
        tz=source.tz,
    )
    return Review(
        trial=trial,
        as_of=as_of,
        k=k,
        month=month,
        weeks=weeks,
        checks=checks(k, trial),
        worked=_ranked(k),
        low=low,
        next_review=trial.proposal.next_review(today),
    )


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.0f}%"


def _verdict(check: Check) -> str:
    return {True: "達成", False: "未達", None: "目標なし"}[check.met]


def summary(r: Review) -> str:
    """A few plain Japanese sentences for a 稟議 (approval memo)."""
    p, k = r.trial.proposal, r.k
    by = {c.key: c for c in r.checks}
    day = (r.as_of - p.start).days + 1
    top = "、".join(
        f"{u.label.split(' / ')[0]} (約 {u.minutes_saved / 60:.1f} 時間)" for u in r.worked[:3]
    )
    lines = [
        f"{r.trial.department}の生成 AI トライアル ({p.start}〜{p.end}、{day} 日目/{p.days} 日) の"
        f"{r.as_of} 時点の結果を報告します。",
        f"目的: {p.purpose}",
        f"対象者 {len(p.people)} 名のうち {k.active_users} 名が利用しました (利用率 {_pct(k.active_share)}、"
        f"目標 {_pct(p.targets.active_share)}: {_verdict(by['active_share'])})。",
        f"削減時間は週あたり約 {k.hours_saved_per_week:.1f} 時間 (目標 "
        f"{p.targets.hours_saved_per_week if p.targets.hours_saved_per_week is not None else '—'} 時間: "
        f"{_verdict(by['hours_per_week'])})、期間合計 {k.hours_saved:.1f} 時間です。"
        f"評価のない回答も採用とみなすと {k.hours_saved_all:.1f} 時間、評価された回答だけなら "
        f"{k.hours_saved_rated:.1f} 時間で、回答の {_pct(k.rated_share)} に評価があります。",
        (f"満足度は平均 {k.mean_rating} ({k.ratings} 件、{_verdict(by['satisfaction'])})。"
         if k.mean_rating is not None else "満足度はまだ評価がありません (未評価)。")
        + f"費用は {k.cost_jpy:,.0f} 円 (今月 {r.month.cost_jpy:,.0f} 円 / "
        f"月予算 {p.budget_yen:,} 円)、削減 1 時間あたり "
        f"{f'{k.cost_per_hour_saved:,.0f} 円' if k.cost_per_hour_saved is not None else '—'} "
        f"({_verdict(by['cost_per_hour'])})。",
        f"効果の大きかった業務: {top or 'まだありません'}。",
        f"課題: 送信を止めた依頼 {k.refused} 件、低評価 {sum(u.low for u in k.use_cases)} 件。",
        f"最終判断者: {p.decision_maker}",
    ]  # fmt: skip
    return "\n".join(lines)
