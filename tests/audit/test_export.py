"""The KPI exports read back by real spreadsheet readers: the CSV through ``csv`` with the BOM
Excel needs, the workbook through openpyxl; Japanese text and numbers survive, and a name that
looks like a formula stays text."""

from __future__ import annotations

import csv
import io
from datetime import date

import openpyxl

from audit import export, periods
from audit.kpi import Kpis, TrialProgress, UseCaseKpi

TRIAL = TrialProgress(
    start=date(2026, 11, 2),
    end=date(2027, 1, 30),
    day=7,
    days=90,
    eligible_users=10,
    trial_users=3,
    target_hours_per_week=10.0,
    target_active_share=0.5,
)


def _week(department: str | None, monday: date, **kw: object) -> Kpis:
    values: dict[str, object] = {
        "department": department,
        "period": periods.period_of("week", monday),
        "requests": 7,
        "answers": 5,
        "refused": 1,
        "failed": 1,
        "refusals": {"quota_exceeded": 1},
        "active_users": 2,
        "active_share": 0.2,
        "use_cases": (UseCaseKpi("email_draft", "メール下書き", 5, 3, 50.0, 72.0),),
        "accepted": 3,
        "minutes_saved": 50.0,
        "hours_saved": 0.83,
        "hours_saved_per_week": 0.83,
        "ratings": 2,
        "mean_rating": 3.5,
        "votes": 2,
        "helpful_share": 0.5,
        "reported_minutes": 1,
        "cost_jpy": 72.0,
        "cost_per_hour_saved": 86.4,
        "tokens": 470,
        "redactions": {"PERSON": 3, "PHONE": 1},
        "trial": TRIAL,
    }
    return Kpis(**{**values, **kw})  # type: ignore[arg-type]


SERIES = [
    _week("営業部", date(2026, 11, 2)),
    # A week with nothing rated and nothing saved: empty cells, not "None".
    _week(
        "営業部",
        date(2026, 11, 9),
        mean_rating=None,
        cost_per_hour_saved=None,
        hours_saved=0.0,
        redactions={},
    ),
]


def _read(raw: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_csv_is_utf8_with_bom_and_crlf_and_reads_back() -> None:
    raw = export.to_csv(SERIES)
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only after a BOM
    assert not raw.startswith(b"\xef\xbb\xbf\xef\xbb\xbf")
    lines = raw.split(b"\r\n")
    assert len(lines) == 4  # header, two weeks, and the empty string after the last CRLF
    assert lines[-1] == b""
    assert all(b"\n" not in line for line in lines)
    table = _read(raw)
    assert table[0] == list(export.HEADER)
    first, second = (dict(zip(table[0], row, strict=True)) for row in table[1:])
    assert first["部署"] == "営業部"
    assert (first["週の開始日"], first["週の終了日"]) == ("2026-11-02", "2026-11-08")
    assert (first["依頼数"], first["回答数"], first["拒否数"]) == ("7", "5", "1")
    assert first["削減 1 時間あたり費用 (円)"] == "86.4"
    assert first["目標 (時間/週)"] == "10.0"
    assert first["秘匿化件数"] == "4"  # PERSON 3 + PHONE 1
    assert (second["平均評価"], second["削減 1 時間あたり費用 (円)"]) == ("", "")
    assert second["秘匿化件数"] == "0"


def test_all_departments_are_named_in_japanese() -> None:
    table = _read(export.to_csv([_week(None, date(2026, 11, 2))]))
    assert table[1][0] == "全部署"


def test_names_with_commas_quotes_and_formulas_survive_as_text() -> None:
    tricky = [
        _week('営業部, "第二課"', date(2026, 11, 2)),
        _week("=HYPERLINK(1)", date(2026, 11, 2)),
        _week("+81 東京", date(2026, 11, 2), trial=None),
    ]
    table = _read(export.to_csv(tricky))
    assert [row[0] for row in table[1:]] == ['営業部, "第二課"', "'=HYPERLINK(1)", "'+81 東京"]
    assert table[3][export.HEADER.index("目標 (時間/週)")] == ""  # no trial, no target

    book = openpyxl.load_workbook(io.BytesIO(export.to_xlsx(tricky)))
    sheet = book["KPI"]
    assert sheet["A3"].value == "'=HYPERLINK(1)"
    assert sheet["A3"].data_type == "s"  # a string cell, not a formula
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_xlsx_keeps_japanese_and_numbers() -> None:
    book = openpyxl.load_workbook(io.BytesIO(export.to_xlsx(SERIES)))
    assert book.sheetnames == ["KPI"]
    sheet = book["KPI"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == export.HEADER
    assert rows[1][:5] == ("営業部", "2026-11-02", "2026-11-08", 7, 5)
    assert isinstance(rows[1][3], int)
    assert rows[1][export.HEADER.index("費用 (円)")] == 72.0
    # openpyxl reads an empty string cell back as None: nothing shown in the sheet.
    assert rows[2][export.HEADER.index("平均評価")] is None
    assert sheet.freeze_panes == "A2"
