"""The demo's trials: one at each stage (draft, submitted, sent back, resubmitted, approved and
running with a recorded decision, stopped), so /trials and the company view have something to
show on first run. Written once, labelled as demo data in each step's comment. Demo mode only.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.demo.data import DEMO_USERS
from gateway.demo.trial import trial_start
from gateway.kernel.vocab import TrialAction, TrialDecision, TrialStage
from gateway.trials.models import TrialRow, TrialStep
from gateway.trials.proposal import Proposal

MANAGER = "suzuki@demo.kakehashi.example"
ADMIN = "tanaka@demo.kakehashi.example"
# Each department's trials are proposed and decided by its own manager; 情報システム部's by
# its IT admin (an admin may propose for their own department).
SOUMU = "yamada@demo.kakehashi.example"
PROPOSER = {"営業部": MANAGER, "総務部": SOUMU, "情報システム部": ADMIN}
A = TrialAction


def _people(department: str, prefix: str, count: int) -> list[str]:
    """The department's demo users first (whoever signs in to the demo is taking part), then
    synthetic people up to ``count``."""
    known = [u.email for u in DEMO_USERS if u.department == department]
    made_up = [f"{prefix}{n:02d}@demo.kakehashi.example" for n in range(1, count + 1)]
    return [*known, *made_up][:count]


def _proposal(
    purpose: str, tasks: list[str], people: int, prefix: str, start: date, **t: float
) -> Proposal:
    department = {"sales": "営業部", "soumu": "総務部", "it": "情報システム部"}[prefix]
    return Proposal(
        purpose=purpose,
        tasks=tasks,
        people=_people(department, prefix, people),
        start=start,
        budget_yen=30000,
        targets=t,
        scope="社外秘の資料は添付しない。顧客名は自動の秘匿化に任せる (デモ)",
        responsibility="出力の確認と送信は作成者。設定と秘匿化は情報システム部 (デモ)",
        cost_bearer="部門経費 (デモ)",
        decision_maker=PROPOSER[department],
    )  # fmt: skip


def _trials(
    today: date,
) -> list[tuple[str, TrialStage, Proposal, list[tuple[TrialAction, str, str]]]]:
    start = trial_start(today)
    running = _proposal("営業メールと商談メモの作成時間を減らし、顧客対応に回す", ["email_draft", "summary", "minutes"], 25, "sales", start, hours_saved_per_week=20, active_share=0.6, satisfaction=4, cost_per_hour_saved=200)  # fmt: skip
    later = today + timedelta(days=14)
    return [
        ("営業部", TrialStage.APPROVED, running, [(A.SUBMITTED, MANAGER, ""), (A.SENT_BACK, ADMIN, "予算の根拠 (人数 × 件数) を書いてください"), (A.RESUBMITTED, MANAGER, ""), (A.APPROVED, ADMIN, "承認。顧客リストを秘匿化に追加済み"), (A.DECIDED, MANAGER, "30 日目: 目標に近いので継続")]),
        ("総務部", TrialStage.SUBMITTED, _proposal("社内規程の問い合わせ回答と手順書の初稿", ["manual_draft", "summary"], 7, "soumu", later, hours_saved_per_week=5), [(A.SUBMITTED, SOUMU, "")]),
        ("情報システム部", TrialStage.DRAFT, _proposal("障害報告書の下書き", ["manual_draft"], 5, "it", later), [(A.DRAFTED, ADMIN, "")]),
        ("総務部", TrialStage.SENT_BACK, _proposal("採用面接の議事録", ["minutes"], 4, "soumu", later), [(A.SUBMITTED, SOUMU, ""), (A.SENT_BACK, ADMIN, "応募者の個人情報の扱い (利用範囲) を具体的に")]),
        ("営業部", TrialStage.RESUBMITTED, _proposal("提案書の初稿 (拡大)", ["manual_draft"], 10, "sales", later, hours_saved_per_week=8), [(A.SUBMITTED, MANAGER, ""), (A.SENT_BACK, ADMIN, "モデルは gpt-4o-mini で足りるか確認を"), (A.RESUBMITTED, MANAGER, "gpt-4o-mini で試します")]),
        ("情報システム部", TrialStage.STOPPED, _proposal("問い合わせ一次回答", ["chat"], 5, "it", start, satisfaction=4), [(A.SUBMITTED, ADMIN, ""), (A.APPROVED, ADMIN, ""), (A.DECIDED, ADMIN, "効果が小さいため中止 (終了日まで利用可)")]),
    ]  # fmt: skip


async def seed_trials(*, session: AsyncSession, today: date) -> int:
    """Write the demo trials once (none yet); returns how many were written."""
    if await session.scalar(select(func.count()).select_from(TrialRow)):
        return 0
    decided_at = datetime.combine(trial_start(today) + timedelta(days=29), time(10), UTC)
    trials = _trials(today)
    for department, stage, proposal, steps in trials:
        # proposed a week before the trial starts (or before today, for one starting later)
        at = datetime.combine(min(proposal.start, today) - timedelta(days=7), time(10), UTC)
        data: dict[str, Any] = proposal.model_dump(mode="json")
        row = TrialRow(department=department, stage=stage.value, version=len(steps), proposal=data, created_by=PROPOSER[department], created_at=at, updated_at=at)  # fmt: skip
        session.add(row)
        await session.flush()
        for n, (action, actor, comment) in enumerate(steps, start=1):
            decision = None
            if action is A.DECIDED:
                decision = (
                    TrialDecision.STOP if stage is TrialStage.STOPPED else TrialDecision.CONTINUE
                )
            session.add(
                TrialStep(
                    trial_id=row.id, version=n, action=action.value,
                    decision=decision.value if decision else None, stage=stage.value if n == len(steps) else _before(action).value,
                    actor=actor, role="admin" if actor == ADMIN else "manager",
                    comment=comment or "(デモ)", proposal=data, policy_version=None,
                    figures={"demo": True},
                    created_at=decided_at if action is A.DECIDED else at + timedelta(days=n),
                )
            )  # fmt: skip
    return len(trials)


def _before(action: TrialAction) -> TrialStage:
    return {
        A.DRAFTED: TrialStage.DRAFT,
        A.SUBMITTED: TrialStage.SUBMITTED,
        A.SENT_BACK: TrialStage.SENT_BACK,
        A.RESUBMITTED: TrialStage.RESUBMITTED,
        A.APPROVED: TrialStage.APPROVED,
        A.DECIDED: TrialStage.APPROVED,
    }[action]
