"""The company view for IT: every trial with its stage, next review date and targets met or
missed, what it brought so far (hours saved, cost, adoption) and this month's figures (the same
function as the dashboard). The page, the .xlsx and the CSV are built from one table of rows,
so they cannot disagree.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

import anyio.to_thread

from audit.export import Cell, cell
from audit.kpi import Kpis
from audit.reports import KpiSource, department_kpis
from gateway.kernel.vocab import TrialStage
from gateway.trials import review, service
from gateway.trials.review import Check

STAGE_JA = {
    TrialStage.DRAFT: "下書き",
    TrialStage.SUBMITTED: "審査待ち",
    TrialStage.SENT_BACK: "差し戻し",
    TrialStage.RESUBMITTED: "再提出・審査待ち",
    TrialStage.APPROVED: "承認済み・実施中",
    TrialStage.STOPPED: "中止決定",
}

UNRATED = "—（未評価）"  # a running trial nobody rated yet: said in the page and the files alike

HEADER = (
    "ID",
    "部署",
    "段階",
    "開始日",
    "終了日",
    "次回レビュー",
    "対象者",
    "利用者 (開始から)",
    "削減時間 (開始から、時間)",
    "週あたり削減時間",
    "目標 (時間/週)",
    "平均評価",
    "費用 (開始から、円)",
    "今月の削減時間",
    "今月の費用 (円)",
    "達成した目標",
    "未達の目標",
)


@dataclass(frozen=True)
class CompanyRow:
    trial: service.TrialOut
    next_review: date | None
    k: Kpis | None  # since the start (approved or stopped trials only)
    month: Kpis | None  # this calendar month, as on the dashboard
    checks: list[Check]

    @property
    def met(self) -> list[str]:
        return [c.label for c in self.checks if c.met is True]

    @property
    def missed(self) -> list[str]:
        return [c.label for c in self.checks if c.met is False]

    def cells(self) -> tuple[Cell, ...]:
        p, k, m = self.trial.proposal, self.k, self.month
        return (
            self.trial.id,
            self.trial.department,
            STAGE_JA[self.trial.stage],
            p.start.isoformat(),
            p.end.isoformat(),
            self.next_review.isoformat() if self.next_review else None,
            len(p.people),
            k.active_users if k else None,
            k.hours_saved if k else None,
            k.hours_saved_per_week if k else None,
            p.targets.hours_saved_per_week,
            (UNRATED if k.mean_rating is None else k.mean_rating) if k else None,
            k.cost_jpy if k else None,
            m.hours_saved if m else None,
            m.cost_jpy if m else None,
            "、".join(self.met),
            "、".join(self.missed),
        )


async def company(*, source: KpiSource, trials: list[service.TrialOut]) -> list[CompanyRow]:
    today = source.today()
    out = []
    for trial in trials:
        running = trial.stage in (TrialStage.APPROVED, TrialStage.STOPPED)
        k = month = None
        if running:
            as_of = review.last_day(trial, today)
            k = await review.trial_kpis(source=source, trial=trial, as_of=as_of)
            month = await department_kpis(
                source=source, department=trial.department, kind="month", day=None
            )
        out.append(
            CompanyRow(
                trial=trial,
                next_review=trial.proposal.next_review(today) if running else None,
                k=k,
                month=month,
                checks=review.checks(k, trial) if k else [],
            )
        )
    return out


def _csv(rows: list[CompanyRow]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows([cell(v) for v in r.cells()] for r in rows)
    return buffer.getvalue().encode("utf-8-sig")  # BOM: Japanese Excel opens it as UTF-8


def _xlsx(rows: list[CompanyRow]) -> bytes:
    from openpyxl import Workbook  # here: a rare download, not worth the server's start-up
    from openpyxl.worksheet.page import PageMargins

    book = Workbook()
    sheet = book.active
    sheet.title = "トライアル"
    sheet.append(HEADER)
    for r in rows:
        sheet.append([cell(v) for v in r.cells()])
    sheet.freeze_panes = "A2"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_margins = PageMargins(left=0.4, right=0.4)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def export(*, rows: list[CompanyRow], kind: str) -> bytes:
    """The table as ``csv`` or ``xlsx``, built off the event loop."""
    return await anyio.to_thread.run_sync(_csv if kind == "csv" else _xlsx, rows)
