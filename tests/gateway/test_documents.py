"""Attached documents: each format's text comes out (speakers kept in transcripts), limits and
damaged files give a clear Japanese and English refusal. Files are made here, in memory."""

from __future__ import annotations

import io
import zipfile

import pytest
from docx import Document as new_docx
from openpyxl import Workbook

from gateway.workspace.documents import DocumentRefused, extract
from policies.model import DocumentLimits

LIMITS = DocumentLimits()


def _docx() -> bytes:
    doc = new_docx()
    doc.add_heading("定例会議 議事メモ", level=1)
    doc.add_paragraph("株式会社ミライ精工の山田太郎様と打合せ。")
    table = doc.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "担当", "期限"
    table.cell(1, 0).text, table.cell(1, 1).text = "佐藤", "12/10"
    doc.add_paragraph("以上")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _pdf(content: bytes | None) -> bytes:
    """A one-page PDF written out by hand (with its cross-reference table), text or none."""
    stream = b"BT /F1 12 Tf 20 100 Td (" + content + b") Tj ET" if content is not None else b""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


VTT = """WEBVTT

00:00:01.000 --> 00:00:04.000
<v 山田>おはようございます。本日の議題は見積りです。

00:00:04.500 --> 00:00:06.000
<v 山田>よろしくお願いします。

00:00:06.500 --> 00:00:09.000
<v 佐藤 花子>はい、<b>12 月 10 日</b>までに送ります。
"""

SRT = """1
00:00:01,000 --> 00:00:03,000
山田: 来週の打合せの件です。

2
00:00:03,500 --> 00:00:05,000
佐藤: 承知しました。
"""


def test_a_docx_keeps_paragraphs_and_tables_in_order() -> None:
    doc = extract(name="議事メモ.docx", data=_docx(), limits=LIMITS)
    assert doc.kind == "docx"
    assert doc.text.splitlines() == [
        "定例会議 議事メモ",
        "株式会社ミライ精工の山田太郎様と打合せ。",
        "担当 | 期限",
        "佐藤 | 12/10",
        "以上",
    ]


def test_a_vtt_transcript_keeps_its_speakers() -> None:
    doc = extract(name="teams.vtt", data=VTT.encode(), limits=LIMITS)
    assert doc.text == (
        "山田: おはようございます。本日の議題は見積りです。 よろしくお願いします。\n"
        "佐藤 花子: はい、12 月 10 日までに送ります。"
    )


def test_an_srt_transcript_reads_as_said() -> None:
    doc = extract(name="zoom.SRT", data=SRT.encode(), limits=LIMITS)
    assert doc.text == "山田: 来週の打合せの件です。\n佐藤: 承知しました。"


def test_a_pdf_text_layer_is_read() -> None:
    doc = extract(name="report.pdf", data=_pdf(b"Quarterly report for Mirai Seiko"), limits=LIMITS)
    assert doc.text == "Quarterly report for Mirai Seiko"


def test_a_scanned_pdf_gets_a_clear_message() -> None:
    with pytest.raises(DocumentRefused) as refused:
        extract(name="scan.pdf", data=_pdf(None), limits=LIMITS)
    assert "スキャン" in refused.value.ja
    assert "OCR" in refused.value.en
    assert refused.value.status == 400


def test_an_xlsx_becomes_one_block_per_sheet() -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "顧客"
    sheet.append(["会社名", "担当", "金額"])
    sheet.append(["株式会社ミライ精工", "山田", 120000])
    sheet.append([None, None, None])
    book.create_sheet("メモ").append(["来週フォロー"])
    out = io.BytesIO()
    book.save(out)
    doc = extract(name="顧客.xlsx", data=out.getvalue(), limits=LIMITS)
    assert (
        doc.text
        == "## 顧客\n会社名\t担当\t金額\n株式会社ミライ精工\t山田\t120000\n## メモ\n来週フォロー"
    )


def test_text_in_shift_jis_is_read() -> None:
    doc = extract(name="memo.txt", data="見積りの件\r\n山田".encode("cp932"), limits=LIMITS)
    assert doc.text == "見積りの件\n山田"


@pytest.mark.parametrize(
    ("name", "data", "ja"),
    [
        ("virus.exe", b"MZ", "この種類のファイルは添付できません"),
        ("broken.docx", b"not a zip", "読み取れませんでした"),
        ("broken.pdf", b"%PDF-1.4 garbage", "読み取れませんでした"),
        ("empty.txt", b"  \n ", "文字がありません"),
        ("bad.vtt", b"no header here", "読み取れませんでした"),
    ],
)
def test_bad_files_are_refused_in_japanese_and_english(name: str, data: bytes, ja: str) -> None:
    with pytest.raises(DocumentRefused) as refused:
        extract(name=name, data=data, limits=LIMITS)
    assert ja in refused.value.ja
    assert refused.value.en


def test_the_policy_limits_apply() -> None:
    small = DocumentLimits(max_bytes=2048, max_chars=1000)
    with pytest.raises(DocumentRefused, match="too large"):
        extract(name="big.txt", data=b"a" * 2049, limits=small)
    with pytest.raises(DocumentRefused) as refused:
        extract(name="long.txt", data=b"a" * 1001, limits=small)
    assert "1,001 文字" in refused.value.ja


def test_a_zip_bomb_is_refused_before_parsing() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\0" * (3 * 1024 * 1024))
    small = DocumentLimits(max_bytes=64 * 1024)
    with pytest.raises(DocumentRefused, match="inflates"):
        extract(name="bomb.docx", data=out.getvalue(), limits=small)
