"""Listed company names (the EDINET gazetteer, ``redaction.company_gazetteer``): found in
business text where no rule has evidence, only on word boundaries, as companies; the data
file keeps out everyday words and people's names."""

from __future__ import annotations

import pytest

from redaction.company_gazetteer import listed_companies, read_names
from redaction.engine import Redactor
from redaction.entities import EntityType as T
from redaction.profile import RedactionProfile

NAMES = frozenset(read_names())

# Listed companies whose names the rules read as a foreign person's name or miss: no legal
# form, suffix or cue word beside them.
FOUND = [
    ("インテージとの打ち合わせは来週の火曜日です。", "インテージ"),
    ("先日、タカマツの担当者から見積もりが届きました。", "タカマツ"),
    ("ハピネット向けの提案書を作成してください。", "ハピネット"),
    ("ウェスタン・デジタルの事業規模が拡大した。", "ウェスタン・デジタル"),  # listed: ウエスタン
]


@pytest.mark.parametrize(("text", "name"), FOUND, ids=[f[1] for f in FOUND])
def test_listed_company_is_a_company(redactor: Redactor, text: str, name: str) -> None:
    start = text.index(name)
    found = [(e.type, e.start, e.end) for e in redactor.analyze(text, RedactionProfile())]
    assert (T.COMPANY, start, start + len(name)) in found, found


def test_not_inside_a_longer_word(redactor: Redactor) -> None:
    """A listed name glued to more katakana is part of another word, even where Sudachi splits
    it (ファイザー + ワクチン, スーパー + ファイザー); inside one unknown word it is no match
    either (カチタスリー)."""
    nlp = redactor._analyzer.nlp_engine
    for text in ("ファイザーワクチンの件", "スーパーファイザーの件", "カチタスリーの件"):
        assert listed_companies(nlp.tokenize(text)) == [], text
    assert listed_companies(nlp.tokenize("ファイザーの件"))
    assert listed_companies(nlp.tokenize("ファイザー製のワクチン"))


def test_data_keeps_out_everyday_words_and_people() -> None:
    """Names Sudachi reads as one everyday word, an era, a place, a short acronym or an
    English word are not in the list, nor legal forms; real names are."""
    for word in ("明治", "昭和", "ゼロ", "花王", "イオン", "多摩川", "TBS", "SCREEN", "川辺"):
        assert word not in NAMES, word
    assert not any("株式会社" in n or n.endswith(("インク", "リミテッド")) for n in NAMES)
    assert all(len(n) >= 2 for n in NAMES)
    assert {"カチタス", "ダイキン工業", "シティグループ", "ファイザー"} <= NAMES


def test_business_text_without_companies_is_left_alone(redactor: Redactor) -> None:
    text = (
        "来週の定例会議では、販売計画と予算の見直し、システム移行のスケジュール、"
        "新しい倉庫の稼働について確認します。資料は共有フォルダにあります。"
    )
    assert [e.text for e in redactor.analyze(text, RedactionProfile())] == []
