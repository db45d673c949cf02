"""Table-driven recognizer tests over Japanese (and English) business text.

Each row: text, expected (type, exact original substring) pairs that must be found. Negative
rows list substrings that must NOT be reported under any type.
"""

from __future__ import annotations

import pytest

from redaction.engine import Redactor
from redaction.entities import EntityType as T
from redaction.profile import RedactionProfile

FOUND = [
    (
        "株式会社カケハシ商事の山田太郎です。",
        [(T.COMPANY, "株式会社カケハシ商事"), (T.PERSON, "山田太郎")],
    ),
    ("山田商事株式会社 御中", [(T.COMPANY, "山田商事株式会社")]),
    ("㈱ミドリ電機の佐藤部長に連絡", [(T.COMPANY, "㈱ミドリ電機"), (T.PERSON, "佐藤")]),
    (
        "(株)ABCホールディングスと合同会社ソラ",
        [(T.COMPANY, "(株)ABCホールディングス"), (T.COMPANY, "合同会社ソラ")],
    ),
    ("一般社団法人日本テスト協会の会員", [(T.COMPANY, "一般社団法人日本テスト協会")]),
    ("有限会社まるやまの丸山様", [(T.COMPANY, "有限会社まるやま")]),
    ("Acme Trading Co., Ltd.との契約", [(T.COMPANY, "Acme Trading Co., Ltd.")]),
    (
        "Globex Corp. and Initech Inc. signed",
        [(T.COMPANY, "Globex Corp."), (T.COMPANY, "Initech Inc.")],
    ),
    ("Dear Mr. John Smith, thanks", [(T.PERSON, "John Smith")]),
    ("トヨタ自動車とソニーグループ", [(T.COMPANY, "トヨタ自動車"), (T.COMPANY, "ソニーグループ")]),
    ("担当の鈴木一郎さんから", [(T.PERSON, "鈴木一郎")]),
    ("ジョンソン氏と面談", [(T.PERSON, "ジョンソン")]),
    ("メールはtaro@example.co.jpです", [(T.EMAIL, "taro@example.co.jp")]),
    (
        "連絡先：ｙａｍａｄａ＠ｅｘａｍｐｌｅ．ｃｏｍ",
        [(T.EMAIL, "ｙａｍａｄａ＠ｅｘａｍｐｌｅ．ｃｏｍ")],
    ),
    ("電話は03-1234-5678まで", [(T.PHONE, "03-1234-5678")]),
    ("携帯０９０－１２３４－５６７８", [(T.PHONE, "０９０－１２３４－５６７８")]),
    ("TEL:090ー1234ー5678", [(T.PHONE, "090ー1234ー5678")]),
    ("代表 03(1234)5678", [(T.PHONE, "03(1234)5678")]),
    ("フリーダイヤル0120-123-456", [(T.PHONE, "0120-123-456")]),
    ("call +81-3-1234-5678 now", [(T.PHONE, "+81-3-1234-5678")]),
    ("電話09012345678", [(T.PHONE, "09012345678")]),
    (
        "〒150-0002 東京都渋谷区渋谷2-21-1",
        [(T.POSTAL_CODE, "〒150-0002"), (T.ADDRESS, "東京都渋谷区渋谷2-21-1")],
    ),
    ("住所は大阪府大阪市北区梅田3丁目1番3号です", [(T.ADDRESS, "大阪府大阪市北区梅田3丁目1番3号")]),
    ("マイナンバーは123456789018です", [(T.MY_NUMBER, "123456789018")]),
    ("個人番号 1234 5678 9018", [(T.MY_NUMBER, "1234 5678 9018")]),
    ("法人番号7000012050002", [(T.CORPORATE_NUMBER, "7000012050002")]),
    ("登録番号T7000012050002", [(T.CORPORATE_NUMBER, "T7000012050002")]),
    ("カード番号は4111111111111111です", [(T.CREDIT_CARD, "4111111111111111")]),
    ("カード 5555-5555-5555-4444", [(T.CREDIT_CARD, "5555-5555-5555-4444")]),
    ("振込先：みずほ銀行 本店 普通 1234567", [(T.BANK_ACCOUNT, "1234567")]),
    ("口座番号：7654321", [(T.BANK_ACCOUNT, "7654321")]),
    ("【社外秘】新製品計画", [(T.CONFIDENTIAL_MARKER, "社外秘")]),
    ("CONFIDENTIAL - do not forward", [(T.CONFIDENTIAL_MARKER, "CONFIDENTIAL")]),
]

NOT_FOUND = [
    ("マイナンバーは123456789010です", ["123456789010"]),  # bad check digit
    ("法人番号1000012050002", ["1000012050002"]),
    ("カード番号は4111111111111112です", ["4111111111111112"]),
    ("お客様と皆様へのご案内", ["お客様", "皆様", "皆"]),
    ("会議は3時から1234567件", ["1234567"]),  # a bare 7-digit number is not an account
    ("秘密保持契約を締結します", ["秘密"]),
]


def _found(redactor: Redactor, text: str) -> set[tuple[T, str]]:
    return {(e.type, e.text) for e in redactor.analyze(text, RedactionProfile())}


@pytest.mark.parametrize(("text", "expected"), FOUND, ids=[row[0][:20] for row in FOUND])
def test_found(redactor: Redactor, text: str, expected: list[tuple[T, str]]) -> None:
    assert set(expected) <= _found(redactor, text)


@pytest.mark.parametrize(("text", "absent"), NOT_FOUND, ids=[row[0][:20] for row in NOT_FOUND])
def test_not_found(redactor: Redactor, text: str, absent: list[str]) -> None:
    reported = {found for _, found in _found(redactor, text)}
    assert not any(a in r for a in absent for r in reported)


def test_offsets_index_the_original_text(redactor: Redactor) -> None:
    text = "ＴＥＬ：０３ー１２３４ー５６７８、担当　山田　太郎"
    for e in redactor.analyze(text, RedactionProfile()):
        assert text[e.start : e.end] == e.text


def test_profile_limits_types(redactor: Redactor) -> None:
    profile = RedactionProfile(redact=["EMAIL"])
    found = redactor.analyze("山田太郎 taro@example.com 03-1234-5678", profile)
    assert [e.type for e in found] == [T.EMAIL]


def test_allow_list_keeps_own_company_name(redactor: Redactor) -> None:
    profile = RedactionProfile(allow=["カケハシ商事"])
    found = redactor.analyze("株式会社カケハシ商事の山田です", profile)
    assert all("カケハシ" not in e.text for e in found)
    assert any(e.type is T.PERSON for e in found)


def test_long_text_is_chunked_for_sudachi(redactor: Redactor) -> None:
    filler = "本日は晴天なり。" * 8000  # ~190 KB of UTF-8, four times Sudachi's limit
    text = filler + "連絡先は山田太郎（taro@example.com）です。"
    found = redactor.analyze(text, RedactionProfile())
    assert (T.EMAIL, "taro@example.com") in {(e.type, e.text) for e in found}
    assert any(e.type is T.PERSON and e.text == "山田太郎" for e in found)
