"""Japanese postal addresses: 都道府県 + 市区町村 + 町域 + 丁目・番地・号 (+ building and room),
following the order of 日本郵便's address format. A prefecture, or a municipality followed by
a block number, is required, so 「港区」 alone (a place, not an address) is left to LOCATION."""

from __future__ import annotations

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
_TOWN = r"[\p{Han}々ヶケ\p{Katakana}ー]{0,10}"
_NUM = r"(?:[0-9]+|[一二三四五六七八九十]+)"
_BLOCK = rf"{_NUM}(?:丁目|番地|番町|番|号|-|の)(?:{_NUM}(?:番地|番|号|-|の)?)*(?:{_NUM})?"
_BUILDING = (
    r"(?:\s?[\p{Han}\p{Katakana}A-Za-z0-9ー・]{1,20}?"
    r"(?:ビル(?:ディング)?|マンション|ハイツ|コーポ|タワー|レジデンス|プラザ|ヒルズ|荘|館|棟)"
    r"(?:\s?[0-9]+(?:F|階|号室|号))?|\s?[0-9]+(?:F|階|号室))?"
)


class JapaneseAddressRecognizer(JaPatternRecognizer):
    ENTITY = EntityType.ADDRESS
    PATTERNS = (
        ("prefecture", rf"(?:{_PREFECTURES}){_CITY}{{1,2}}{_TOWN}(?:{_BLOCK})?{_BUILDING}", 0.85),
        ("city-block", rf"(?<!{_KANJI}){_CITY}{{1,2}}{_TOWN}{_BLOCK}{_BUILDING}", 0.7),
    )
    CONTEXT = ("住所", "所在地", "本社", "〒", "address")
