"""Where names and addresses begin and end (issue 13), table-driven.

Each row: a text, the spans that must be reported exactly (type, text), and words that must not
be inside any reported span. The names are made up; none comes from the benchmark's dev file.
"""

from __future__ import annotations

import pytest

from redaction.engine import Redactor
from redaction.entities import EntityType as T
from redaction.profile import RedactionProfile
from redaction.service import preview_text

# (rule, text, exact spans that must be reported, words no span may contain)
ROWS: list[tuple[str, str, list[tuple[T, str]], list[str]]] = [
    (
        "company then person, split at the space",
        "株式会社ミライ精工 山田太郎様",
        [(T.COMPANY, "株式会社ミライ精工"), (T.PERSON, "山田太郎")],
        ["様"],
    ),
    (
        "company then person, split at a full-width space",
        "株式会社ミライ精工　山田太郎様",
        [(T.COMPANY, "株式会社ミライ精工"), (T.PERSON, "山田太郎")],
        [],
    ),
    (
        "company then person, split at the line break",
        "株式会社ミライ精工\n山田太郎様",
        [(T.COMPANY, "株式会社ミライ精工"), (T.PERSON, "山田太郎")],
        [],
    ),
    (
        "department and 御中 are not the company",
        "株式会社 青空物産 経理部 御中",
        [(T.COMPANY, "株式会社 青空物産")],
        ["経理部", "御中"],
    ),
    (
        "department written without spaces",
        "株式会社青空物産営業企画課の佐藤です",
        [(T.COMPANY, "株式会社青空物産")],
        ["営業企画課"],
    ),
    (
        "town with hiragana, then the house number",
        "東京都千代田区霞が関3-2-1の庁舎",
        [(T.ADDRESS, "東京都千代田区霞が関3-2-1")],
        ["庁舎"],
    ),
    (
        "の after the house number stays outside",
        "港区虎ノ門2-10-4の会議室",
        [(T.ADDRESS, "港区虎ノ門2-10-4")],
        ["の会議室"],
    ),
    (
        "kanji house number",
        "東京都港区芝公園一丁目二番三号",
        [(T.ADDRESS, "東京都港区芝公園一丁目二番三号")],
        [],
    ),
    (
        "house number after a space",
        "住所：東京都港区芝公園 1-2-3",
        [(T.ADDRESS, "東京都港区芝公園 1-2-3")],
        ["住所"],
    ),
    (
        "building and floor",
        "東京都千代田区丸の内1-9-1 グラントウキョウノースタワー 5Fまで",
        [(T.ADDRESS, "東京都千代田区丸の内1-9-1 グラントウキョウノースタワー 5F")],
        ["まで"],
    ),
    (
        "番地の",
        "長野県松本市大字里山辺1234番地の5に届けてください",
        [(T.ADDRESS, "長野県松本市大字里山辺1234番地の5")],
        ["届け"],
    ),
    (
        "Sapporo blocks",
        "北海道札幌市中央区北1条西2丁目",
        [(T.ADDRESS, "北海道札幌市中央区北1条西2丁目")],
        [],
    ),
    (
        "a label before a city is not the address",
        "住所は渋谷区道玄坂1丁目12番1号です",
        [(T.ADDRESS, "渋谷区道玄坂1丁目12番1号")],
        ["住所は"],
    ),
    ("product code", "KX-200の在庫を確認してください。", [], ["KX"]),
    ("product code glued to digits", "型番AB3000を発注します。", [], ["AB"]),
    ("spreadsheet call", "=VLOOKUP(A1,B:C,2,FALSE)で引きます", [], ["VLOOKUP", "FALSE"]),
    (
        "counter the dictionary lists as a surname",
        "四つ目は山田さんです。",
        [(T.PERSON, "山田")],
        ["四つ目"],
    ),
    ("counter", "3点確認します。三点目について。", [], ["3点", "三点目"]),
    (
        "single-kanji surnames after a customer",
        "〔顧客B〕の東課長と〔顧客C〕の関様",
        [(T.PERSON, "東"), (T.PERSON, "関")],
        ["課長"],
    ),
    ("single-kanji surname with a title", "東課長に確認します。", [(T.PERSON, "東")], []),
    ("not a surname before a title", "元部長と前社長が出席。", [], ["元", "前"]),
    ("not a surname before an honorific", "社長の奥様と神様", [], ["奥", "神"]),
    ("hiragana name with an honorific", "やまだたろう様へ", [(T.PERSON, "やまだたろう")], []),
    ("hiragana name after a comma", "こんにちは、すずきさん。", [(T.PERSON, "すずき")], []),
    ("everyday kana before honorifics", "みなさん、おつかれさまです。", [], ["みな", "おつかれ"]),
    (
        "labelled card, unusual prefix",
        "カード番号 9999999999999995",
        [(T.CREDIT_CARD, "9999999999999995")],
        [],
    ),
    (
        "labelled card in groups",
        "クレジットカード 1234 5678 9012 3452 の件",
        [(T.CREDIT_CARD, "1234 5678 9012 3452")],
        [],
    ),
    ("labelled number failing Luhn", "カード番号 9999999999999994", [], ["9999999999999994"]),
    ("unlabelled number with an unusual prefix", "伝票 9999999999999995", [], ["9999999999999995"]),
]


@pytest.mark.parametrize(("rule", "text", "exact", "absent"), ROWS, ids=[r[0] for r in ROWS])
def test_boundaries(
    redactor: Redactor, rule: str, text: str, exact: list[tuple[T, str]], absent: list[str]
) -> None:
    found = redactor.analyze(text, RedactionProfile())
    reported = [(e.type, e.text) for e in found]
    for span in exact:
        assert span in reported, (rule, reported)
    for word in absent:
        assert not any(word in e.text for e in found), (rule, reported)


def test_company_and_person_get_their_own_placeholders(redactor: Redactor) -> None:
    text = "株式会社ミライ精工 山田太郎様\n\nいつもお世話になっております。"
    profile = RedactionProfile()
    preview = preview_text(text, redactor.analyze(text, profile), profile)
    assert preview.text.startswith("株式会社〔会社A〕 〔人物A〕様\n")
