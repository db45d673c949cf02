"""Normalisation and evasion: width, zero-width characters, spaces inside names, kana and
long-vowel variants of listed customers; offsets always index the original text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from redaction.engine import Redactor
from redaction.entities import EntityType as T
from redaction.normalize import fold, normalize
from redaction.profile import RedactionProfile


def test_normalize_maps_back_to_original() -> None:
    text = "ＴＥＬ\u200b０３ｰ１２３４ｰ５６７８　山田　太郎ｶﾞ"
    mapped = normalize(text)
    assert mapped.text == "TEL03-1234-5678 山田太郎ガ"
    start = mapped.text.index("03")
    s, e = mapped.original_span(start, start + len("03-1234-5678"))
    assert text[s:e] == "０３ｰ１２３４ｰ５６７８"
    s, e = mapped.original_span(len(mapped.text) - 1, len(mapped.text))
    assert text[s:e] == "ｶﾞ"


def test_fold_unifies_kana_case_and_spacing() -> None:
    assert fold(normalize("ヤマダ・ショウジ")).text == fold(normalize("やまだ しょうじ")).text
    assert fold(normalize("コンピューター")).text == fold(normalize("コンピュータ")).text
    assert fold(normalize("ＭＩＲＡＩ Seiko")).text == "miraiseiko"


@given(st.text(max_size=60))
def test_normalize_spans_are_monotonic_and_in_range(text: str) -> None:
    mapped = normalize(text)
    assert len(mapped.text) == len(mapped.starts) == len(mapped.ends)
    for s, e in zip(mapped.starts, mapped.ends, strict=True):
        assert 0 <= s < e <= len(text)
    assert list(mapped.starts) == sorted(mapped.starts)


CUSTOMER_VARIANTS = [
    "株式会社ミライ精工",
    "ミライ精工",
    "ミライ　精工",
    "ミ\u200bライ精工",
    "ﾐﾗｲ精工",
    "ミライセイコウ",
    "みらいせいこう",
    "ミライセイコー",
    "MIRAI Seiko",
    "ｍｉｒａｉ ｓｅｉｋｏ",
    "たなか商店",
    "タナカショウテン",
    "BHT",
    "ブルーハーバー・トレーディング",
    "コーヒーハウス ローラン",
    "ローラン",
]


@pytest.mark.parametrize("variant", CUSTOMER_VARIANTS)
def test_listed_customers_are_found_in_every_variant(
    redactor: Redactor, customer_profile: RedactionProfile, variant: str
) -> None:
    text = f"来週、{variant}との打ち合わせがあります。"
    found = redactor.analyze(text, customer_profile)
    customers = [e for e in found if e.type is T.CUSTOMER]
    assert customers, found
    covered = any(e.start <= 3 and e.end >= 3 + len(variant) for e in customers)
    assert covered, [(e.text, e.start, e.end) for e in found]


def test_listed_latin_name_does_not_match_inside_a_word(
    redactor: Redactor, customer_profile: RedactionProfile
) -> None:
    found = redactor.analyze("BHTX is a ticker", customer_profile)
    assert all(e.type is not T.CUSTOMER for e in found)


@pytest.mark.parametrize(
    ("text", "entity_type", "needle"),
    [
        ("電話：０３－１２３４－５６７８", T.PHONE, "０３－１２３４－５６７８"),
        (
            "カード　４１１１　１１１１　１１１１　１１１１",
            T.CREDIT_CARD,
            "４１１１　１１１１　１１１１　１１１１",
        ),
        ("マイナンバー１２３４５６７８９０１８", T.MY_NUMBER, "１２３４５６７８９０１８"),
        ("担当は山\u200b田\u200c太\u200d郎です", T.PERSON, "山\u200b田\u200c太\u200d郎"),
        ("担当は山田　太郎です", T.PERSON, "山田　太郎"),
        ("コードネームはプロジェクト 白鳥", T.CODENAME, "プロジェクト 白鳥"),
        ("t\u200baro@exam\u200bple.com", T.EMAIL, "t\u200baro@exam\u200bple.com"),
    ],
)
def test_evasions_are_caught(
    redactor: Redactor,
    customer_profile: RedactionProfile,
    text: str,
    entity_type: T,
    needle: str,
) -> None:
    found = {(e.type, e.text) for e in redactor.analyze(text, customer_profile)}
    assert (entity_type, needle) in found
