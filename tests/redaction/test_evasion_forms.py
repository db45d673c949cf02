"""Evasions by writing: every numeric identifier with its digits separated by dots, slashes,
spaces or any dash, or written in kanji digits; ruby markup and character references around
names; obfuscated e-mail addresses. Each row must be found whole, in the original offsets."""

from __future__ import annotations

import pytest

from redaction.engine import Redactor
from redaction.entities import EntityType as T
from redaction.profile import RedactionProfile
from redaction.service import preview_text

KANJI = "〇一二三四五六七八九"
DAIJI = "零壱弐参肆伍陸漆捌玖"
DASHES = "-‐‑‒–—―−ーｰ─━﹣－⁃˗"

# (type, context before, digit groups as usually written, context after)
IDENTIFIERS = [
    (T.MY_NUMBER, "マイナンバーは", ("1234", "5678", "9018"), "です"),
    (T.CORPORATE_NUMBER, "法人番号：", ("5", "8356", "7825", "6246"), "。"),
    (T.CREDIT_CARD, "カード番号 ", ("4111", "1111", "1111", "1111"), " 有効期限"),
    (T.PHONE, "携帯は", ("090", "1234", "5678"), "まで"),
    (T.PHONE, "電話：", ("03", "1234", "5678"), "（代表）"),
    (T.POSTAL_CODE, "〒", ("100", "0001"), " 東京都"),
    (T.BANK_ACCOUNT, "普通預金 ", ("1234567",), " へお振込みください"),
]


def _forms(groups: tuple[str, ...]) -> list[tuple[str, str]]:
    digits = "".join(groups)
    forms = [
        ("dots", ".".join(groups)),
        ("full-width dots", "．".join(groups)),
        ("middle dots", "・".join(groups)),
        ("slashes", "/".join(groups)),
        ("spaced dashes", " - ".join(groups)),
        ("a space between every digit", " ".join(digits)),
        ("kanji digits", "".join(KANJI[int(d)] for d in digits)),
        (
            "kanji digits, ー between groups",
            "ー".join("".join(KANJI[int(d)] for d in g) for g in groups),
        ),
        ("daiji", "".join(DAIJI[int(d)] for d in digits)),
        ("kanji digits, spaced", " ".join(KANJI[int(d)] for d in digits)),
    ]
    forms += [(f"dash U+{ord(d):04X}", d.join(groups)) for d in DASHES]
    return [
        (name, form) for name, form in forms if len(groups) > 1 or " " in form or form != digits
    ]


CASES = [
    pytest.param(kind, before + form + after, form, id=f"{kind.value}-{name}-{'-'.join(groups)}")
    for kind, before, groups, after in IDENTIFIERS
    for name, form in _forms(groups)
]


@pytest.mark.parametrize(("kind", "text", "value"), CASES)
def test_numeric_identifiers_in_every_writing_are_found_whole(
    redactor: Redactor, kind: T, text: str, value: str
) -> None:
    found = redactor.analyze(text, RedactionProfile())
    start = text.index(value)
    hits = [e for e in found if e.type is kind]
    assert any(e.start <= start and e.end >= start + len(value) for e in hits), found


@pytest.mark.parametrize(
    "text",
    [
        "円周率は3.14159265です",
        "売上は1,234,567円でした",
        "比率は123.4567%",
        "サーバーは192.168.100.200です",
        "納期は2024/01/15、予備日は2024.01.22",
        "一二三さんの将棋",
        "10〜20個、30ー40個",
    ],
)
def test_ordinary_numbers_stay_ordinary(redactor: Redactor, text: str) -> None:
    numeric = {T.MY_NUMBER, T.CORPORATE_NUMBER, T.CREDIT_CARD, T.PHONE, T.POSTAL_CODE}
    found = redactor.analyze(text, RedactionProfile())
    assert not [e for e in found if e.type in numeric | {T.BANK_ACCOUNT}], found


EMAILS = [
    "taro.yamada[at]example.co.jp",
    "taro.yamada［ａｔ］example.co.jp",
    "taro.yamada（アット）example.co.jp",
    "taro.yamada(あっと)example.co.jp",
    "taro.yamada【at】example【dot】co【dot】jp",
    "taro.yamada(at)example(dot)co(dot)jp",
    "taro.yamada @ example.co.jp",
    "taro.yamada＠example．co．jp",
    "taro.yamada at example dot co dot jp",
    "Taro.Yamada AT example DOT com",
]


@pytest.mark.parametrize("value", EMAILS)
def test_obfuscated_email_addresses_are_found_whole(redactor: Redactor, value: str) -> None:
    text = f"連絡先は{value}です。"
    found = redactor.analyze(text, RedactionProfile())
    start = text.index(value)
    emails = [e for e in found if e.type is T.EMAIL]
    assert any(e.start <= start and e.end >= start + len(value) for e in emails), found


@pytest.mark.parametrize(
    "text", ["10時 at 会議室 dot 資料", "look at this dot", "[at]だけ", "user@localhost で試す"]
)
def test_at_and_dot_words_alone_are_not_addresses(redactor: Redactor, text: str) -> None:
    assert not [e for e in redactor.analyze(text, RedactionProfile()) if e.type is T.EMAIL]


MARKUP = [
    ("担当は<ruby>山田<rt>やまだ</rt></ruby>さんです", ["山田", "やまだ"]),
    ("<ruby>佐藤<rp>（</rp><rt>さとう</rt><rp>）</rp></ruby>様へ", ["佐藤", "さとう"]),
    ("<ruby>山田<rt>やまだ</rt></ruby>太郎さんに連絡", ["山田", "やまだ", "太郎"]),
    ("<ruby>山<rp>(</rp><rt>やま</rt><rp>)</rp>田<rt>だ</rt></ruby>太郎様", ["山", "やま", "太郎"]),
    ("<RUBY>鈴木<RT>すずき</RT></RUBY>一郎さん", ["鈴木", "すずき", "一郎"]),
    ("担当は山<b>田</b>太郎さんです", ["山", "太郎"]),
    ("担当は&#23665;&#30000;太郎さんです", ["&#23665;", "太郎"]),
    ("担当は&#x5c71;&#x7530;太郎さんです", ["&#x5c71;", "太郎"]),
]


@pytest.mark.parametrize(("text", "secrets"), MARKUP)
def test_names_inside_markup_are_redacted_with_their_reading(
    redactor: Redactor, text: str, secrets: list[str]
) -> None:
    profile = RedactionProfile()
    redacted = preview_text(text, redactor.analyze(text, profile), profile).text
    assert "〔人物" in redacted
    for secret in secrets:
        assert secret not in redacted, redacted
