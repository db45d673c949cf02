"""Exports of the KPI series for the monthly review: CSV that Japanese Excel opens as it is, and
an .xlsx workbook.

Excel guesses Shift_JIS for a CSV without a byte-order mark and shows 営業部 as mojibake, so
the CSV is UTF-8 *with* BOM and CRLF line ends. Aggregates only: no prompt text, no people.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from audit.kpi import Kpis

HEADER = (
    "部署",
    "週の開始日",
    "週の終了日",  # inclusive; a report's first and last weeks are clipped to its range
    "依頼数",
    "回答数",
    "拒否数",
    "アクティブ利用者",
    "採用された回答",
    "削減時間 (時間)",
    "削減時間: 評価なしも採用 (時間)",
    "削減時間: 評価ありのみ (時間)",
    "週あたり削減時間",
    "目標 (時間/週)",
    "平均評価",
    "評価数",
    "費用 (円)",
    "削減 1 時間あたり費用 (円)",
    "秘匿化件数",
)

Cell = str | int | float | None


def rows(series: Sequence[Kpis]) -> list[tuple[Cell, ...]]:
    """One row per period, in the order of ``HEADER``."""
    out: list[tuple[Cell, ...]] = []
    for k in series:
        target = k.trial.target_hours_per_week if k.trial else None
        out.append(
            (
                k.department or "全部署",
                k.period.start.isoformat(),
                k.period.last.isoformat(),
                k.requests,
                k.answers,
                k.refused,
                k.active_users,
                k.accepted,
                k.hours_saved,
                k.hours_saved_all,  # both counts of unrated answers (audit.kpi), side by side
                k.hours_saved_rated,
                k.hours_saved_per_week,
                target,
                k.mean_rating,
                k.ratings,
                k.cost_jpy,
                k.cost_per_hour_saved,
                sum(k.redactions.values()),
            )
        )
    return out


def cell(value: Cell) -> Cell:
    """A value as a spreadsheet cell: empty for None, never a formula."""
    # A department name from the IdP starting with = or + would run as a formula in Excel.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def to_csv(series: Sequence[Kpis]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows([cell(v) for v in row] for row in rows(series))
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(series: Sequence[Kpis]) -> bytes:
    # Imported here: openpyxl (and numpy through it) cost ~5% of the server's start-up for a
    # rare download (issue 18).
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "KPI"
    sheet.append(HEADER)
    for row in rows(series):
        sheet.append([cell(v) for v in row])
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
