"""Japanese postal addresses: 都道府県 + 市区町村 + 町域 + 丁目・番地・号 (+ building and room),
following the order of 日本郵便's address format. A prefecture, or a municipality followed by
a block number, is required, so 「港区」 alone (a place, not an address) is left to LOCATION."""

from __future__ import annotations

import re
from collections.abc import Iterator

from redaction.entities import EntityType
from redaction.recognizers.base import JaPatternRecognizer

_PREFECTURES = (
    "北海道|青森県|岩手県|宮城県|秋田県|山形県|福島県|茨城県|栃木県|群馬県|埼玉県|千葉県|東京都|"
    "神奈川県|新潟県|富山県|石川県|福井県|山梨県|長野県|岐阜県|静岡県|愛知県|三重県|滋賀県|京都府|"
    "大阪府|兵庫県|奈良県|和歌山県|鳥取県|島根県|岡山県|広島県|山口県|徳島県|香川県|愛媛県|高知県|"
    "福岡県|佐賀県|長崎県|熊本県|大分県|宮崎県|鹿児島県|沖縄県"
)
_KANJI = r"[\p{Han}々ヶケ\p{Katakana}\p{Hiragana}ー]"
_CITY = rf"(?:{_KANJI}{{1,7}}?(?:市|区|郡|町|村))"
# Without a prefecture before it, a city is written in kanji/katakana or all in hiragana
# (さいたま市): 住所は渋谷区 must not start at 住.
_CITY_ALONE = (
    r"(?:(?:(?<![\p{Han}々ヶケ\p{Katakana}ー])[\p{Han}々ヶケ\p{Katakana}ー]{1,7}?"
    r"|(?<![\p{Han}々ヶケ\p{Katakana}\p{Hiragana}ー])\p{Hiragana}{2,6})(?:市|区|郡|町|村))"
)
_DIGITS = "0-9一二三四五六七八九十〇百千"
_NUM = rf"[{_DIGITS}]+"
_UNIT = r"(?:丁目|番地|番町|番|号|地割|条[東西南北]?)"
# A town character that does not start the house number (一丁目, 二番, 3-).
_TOWN_CHAR = rf"(?![{_DIGITS}]+(?:{_UNIT}|[-の][0-9]))[\p{{Han}}々ヶケ\p{{Katakana}}ー]"
# Towns may hold が, の, ノ, ツ between kanji (霞が関, 丸の内, 自由が丘) but only when a house
# number follows, so 新宿の会議室 stays outside the address.
_TOWN = rf"{_TOWN_CHAR}{{0,12}}"
_TOWN_KANA = rf"{_TOWN_CHAR}{{1,8}}(?:[がのつ]{_TOWN_CHAR}{{1,6}}){{1,2}}"
# 3-2-1, 3丁目2番1号, 一丁目二番三号, 123番地の4, 3-2-1号; の only before another number, so
# 虎ノ門2-10-4の会議室 ends at 4.
_SEP = rf"(?:-|の(?=[{_DIGITS}]))"
_BLOCK = rf"\s?{_NUM}(?:{_UNIT}|{_SEP}(?={_NUM}))(?:{_SEP}?{_NUM}{_UNIT}?)*"
_BUILDING = (
    r"(?:\s?[\p{Han}\p{Katakana}A-Za-z0-9ー・]{1,20}?"
    r"(?:ビル(?:ディング)?|マンション|ハイツ|コーポ|タワー|レジデンス|プラザ|ヒルズ|荘|館|棟)"
    r"(?:\s?[0-9]+(?:F|階|号室|号))?|\s?[0-9]+(?:F|階|号室))?"
)
_PLACE = rf"(?:{_TOWN_KANA}{_BLOCK}|{_TOWN}(?:{_BLOCK})?)"


_CITY_ENDS = re.compile("[市区郡町村]")
_CITY_LONGEST = 7  # characters before the ending (``_CITY_ALONE``)


def _city_block_starts(text: str) -> Iterator[int]:
    """Where a city-block match can start: 1-7 characters before one of the five endings a
    city without a prefecture needs (``_CITY_ALONE``: its first ending comes within 7)."""
    for ending in _CITY_ENDS.finditer(text):
        yield from range(max(0, ending.start() - _CITY_LONGEST), ending.start())


class JapaneseAddressRecognizer(JaPatternRecognizer):
    ENTITY = EntityType.ADDRESS
    PATTERNS = (
        ("prefecture", rf"(?:{_PREFECTURES}){_CITY}{{1,2}}{_PLACE}{_BUILDING}", 0.85),
        (
            "city-block",
            rf"{_CITY_ALONE}{_CITY}?(?:{_TOWN_KANA}|{_TOWN}){_BLOCK}{_BUILDING}",
            0.7,
        ),
    )
    CONTEXT = ("住所", "所在地", "本社", "〒", "address")
    STARTS = {"city-block": _city_block_starts}  # noqa: RUF012 - read-only
