"""Person names written in hiragana before an honorific (やまだたろう様, すずきさん).

Names are sometimes typed in kana — by a phone's input method, on purpose to slip past a
kanji dictionary, or for a child. Sudachi cuts them into nonsense pieces (やま/だ/たろう), so
the pattern looks at the shape instead: 3-10 hiragana that start after a non-kana boundary
(the start of a line, a space, punctuation) and end right before 様/さま/さん/くん/ちゃん/氏/殿.
Everyday words that take the same honorifics (みなさん, おつかれさま, おきゃくさま) are refused in
``validate_result``.
"""

from __future__ import annotations

from redaction.entities import EntityType
from redaction.recognizers.base import JaPatternRecognizer

_HONORIFICS = "様|さま|さん|くん|ちゃん|氏|殿|どの|君"
# Kana words before an honorific that name no one (greetings, family, customers, gods).
_EVERYDAY = (
    "みな",
    "おきゃく",
    "きゃく",
    "おつかれ",
    "ごくろう",
    "ごちそう",
    "おかげ",
    "おかあ",
    "おとう",
    "おにい",
    "おねえ",
    "おじい",
    "おばあ",
    "おじょう",
    "おぼっ",
    "ぼっ",
    "あか",
    "おこ",
    "おひ",
    "かみ",
    "おう",
    "おく",
    "だんな",
    "おまち",
    "おさき",
    "おせわ",
    "おじゃま",
    "おだいじ",
    "おそれ",
    "よろしく",
    "ありがと",
    "ありがとう",
    "おめでと",
    "おめでとう",
    "こんにち",
    "こんばん",
)


class HiraganaNameRecognizer(JaPatternRecognizer):
    ENTITY = EntityType.PERSON
    PATTERNS = (
        (
            "hiragana-name",
            rf"(?<![\p{{Hiragana}}\p{{Han}}\p{{Katakana}}ー々])\p{{Hiragana}}{{3,10}}?(?={_HONORIFICS})",
            0.6,
        ),
    )

    def validate_result(self, pattern_text: str) -> bool | None:
        if pattern_text.startswith(_EVERYDAY) or pattern_text.endswith(("の", "は", "が", "を")):
            return False
        return None
