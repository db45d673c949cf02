"""Company evidence from a name's neighbours and shape (issue 13, company recall on new text).

- Listed beside a company: a lone distinctive katakana or Latin word joined by と, や or 、 to
  a company found in the sentence (オラクルとIBMも, ノルデンやヴァルデン商事).
- An English plural in katakana at the end of a glued katakana compound: Sudachi normalises
  the plural away (モデルズ → モデル), a shape everyday compounds do not take
  (ファルコンモデルズ, ベアリングワークス).
- A web address's ending after a Latin company (Quillbase.com, Zenbox.co.jp): the name as
  the company writes it.
- An era and a year (寛永13年, 天正10年): an era name Sudachi tags as a proper noun, not a
  company.

Rules over the sentence's morphemes and the spans the other rules found; no word lists of names.
"""

from __future__ import annotations

from collections.abc import Sequence

from redaction.lexicon import (
    INDUSTRY_WORDS,
    LEGAL_FORMS,
    NAME_STOPS,
    NOT_COMPANY_ACRONYMS,
    NOT_NAMES,
    NOT_ORG_STEMS,
    NOT_SHORT_SURNAMES,
)
from redaction.morpheme import Morpheme
from redaction.name_tokens import (
    COMPANY,
    MAX_NAME_TOKENS,
    NameSpan,
    Positions,
    capitalised,
    company_suffix,
    counter,
    department,
    distinctive,
    is_kanji,
    is_katakana,
    is_latin,
    nounish,
    person_token,
)

_LIST_JOINS = frozenset(["と", "や", "、"])
_DOMAIN_ENDS = frozenset(["com", "net", "org", "jp", "io", "co"])


def _wordlike(m: Morpheme) -> bool:
    s = m.surface
    if s in NOT_NAMES or m.pos[0] != "名詞" or not distinctive(m):
        return False
    if is_katakana(s):
        return len(s) >= 3
    return is_latin(s) and capitalised(s) and s.upper().rstrip(".") not in NOT_COMPANY_ACRONYMS


def _alone(morphemes: Sequence[Morpheme], k: int) -> bool:
    """morphemes[k] is a word of its own: no noun glued before or after it."""
    m = morphemes[k]
    before = k > 0 and morphemes[k - 1].end == m.start and nounish(morphemes[k - 1])
    after = (
        k + 1 < len(morphemes)
        and morphemes[k + 1].start == m.end
        and nounish(morphemes[k + 1])
        and morphemes[k + 1].surface not in ("等", "など")
    )
    return not (before or after)


def listed_with_companies(
    morphemes: Sequence[Morpheme], spans: list[NameSpan], at: Positions
) -> list[NameSpan]:
    """Lone distinctive words joined by と/や/、 to a company span, on either side."""
    taken = [(s.start, s.end) for s in spans]
    starts, ends = at.at_start, at.at_end
    found: dict[int, NameSpan] = {}
    for span in spans:
        first, last = starts.get(span.start), ends.get(span.end)
        if span.kind != COMPANY or first is None or last is None:
            continue
        for join, k in ((first - 1, first - 2), (last + 1, last + 2)):
            if not (0 <= join < len(morphemes) and 0 <= k < len(morphemes)):
                continue
            m = morphemes[k]
            if (
                morphemes[join].surface in _LIST_JOINS
                and (_wordlike(m) or (k > first and _among_companies(morphemes, k)))
                and _alone(morphemes, k)
                and not any(s < m.end and e > m.start for s, e in taken)
            ):
                found[m.start] = NameSpan(COMPANY, m.start, m.end, 0.55, "listed-with-company")
    return list(found.values())


# Nouns that close a list of companies: 〜等の中国メーカー, 〜などの企業.
_COMPANY_NOUNS = frozenset(["メーカー", "企業", "会社", "各社", "大手", "商社", "銀行"])


def _among_companies(morphemes: Sequence[Morpheme], k: int) -> bool:
    """morphemes[k], even an everyday katakana word, ends a list of companies: 等/など, の,
    perhaps a place, and a word for companies follow (ドラゴンモデルズやトランペッター等の
    中国メーカー)."""
    m = morphemes[k]
    if not (is_katakana(m.surface) and len(m.surface) >= 3 and m.surface not in NOT_NAMES):
        return False
    after = [x.surface for x in morphemes[k + 1 : k + 5]]
    if after[:2] not in (["等", "の"], ["など", "の"]):
        return False
    rest = morphemes[k + 3 : k + 5]
    if rest and rest[0].pos[2] == "地名":
        rest = rest[1:]
    return bool(rest) and rest[0].surface in _COMPANY_NOUNS


def plural_compounds(run: list[Morpheme]) -> list[NameSpan]:
    """A glued katakana compound ending in a katakana English plural (ファルコンモデルズ)."""
    spans: list[NameSpan] = []
    for i, m in enumerate(run):
        if not (
            i
            and is_katakana(m.surface)
            and m.surface.endswith("ズ")
            and m.norm
            and m.norm != m.surface
        ):
            continue
        first = i
        while (
            first > 0
            and is_katakana(run[first - 1].surface)
            and run[first - 1].end == run[first].start
        ):
            first -= 1
        if first < i:
            spans.append(NameSpan(COMPANY, run[first].start, m.end, 0.55, "plural-compound"))
    return spans


def with_web_address(
    morphemes: Sequence[Morpheme], spans: list[NameSpan], at: Positions
) -> list[NameSpan]:
    """Latin company spans extended over a glued .com/.net/.co.jp ending."""
    starts = at.at_start
    out = []
    for span in spans:
        k = starts.get(span.end)
        end = span.end
        while (
            span.kind == COMPANY
            and k is not None
            and k + 1 < len(morphemes)
            and morphemes[k].surface == "."
            and morphemes[k + 1].start == morphemes[k].end
            and morphemes[k + 1].surface.lower() in _DOMAIN_ENDS
            and is_latin(morphemes[k - 1].surface)
        ):
            end = morphemes[k + 1].end
            k = starts.get(end)
        out.append(
            span if end == span.end else NameSpan(span.kind, span.start, end, span.score, span.rule)
        )
    return out


def without_eras(
    morphemes: Sequence[Morpheme], spans: list[NameSpan], at: Positions
) -> list[NameSpan]:
    """Drop two-kanji company spans followed by a year number and 年 (寛永13年, 天正元年)."""
    starts = at.at_start
    kept = []
    for span in spans:
        k = starts.get(span.end)
        era = (
            span.kind == COMPANY
            and span.end - span.start == 2
            and k is not None
            and k + 1 < len(morphemes)
            and is_kanji(morphemes[k - 1].surface if k else "")
            and morphemes[k].pos[1] == "数詞"
            and morphemes[k].start == span.end
            and morphemes[k + 1].surface == "年"
            and morphemes[k + 1].start == morphemes[k].end
        )
        if not era:
            kept.append(span)
    return kept


# Titles only a company's officers hold, glued after the company's name (北辰工業社長,
# 南嶺化成代表取締役社長); 会長 and 理事 are left out: associations and clubs have them too.
_OFFICER_TITLES = frozenset(
    ["社長", "副社長", "代表取締役", "代表取締役社長", "取締役", "取締役社長", "相談役", "頭取"]
)
# Last words that make the phrase before a title a description, not a name (IT企業社長,
# 米国法人社長, 外資系社長).
_NOT_NAME_HEADS = frozenset(["企業", "会社", "法人", "人", "系", "地域", "部門", "事業", "業界"])


def titled_companies(run: list[Morpheme]) -> list[NameSpan]:
    """A phrase of two or more words glued before an officer's title (北辰工業社長,
    第一北斗保険社長に就任, 日本形染社長宮本): a company when it ends in a company word or
    holds a word Sudachi tags as a proper noun or does not know (not a person's name:
    山田太郎社長 is a person). One everyday word (女性社長, 新社長) is no name."""
    spans: list[NameSpan] = []
    if len(run) < 3 or _OFFICER_TITLES.isdisjoint([m.surface for m in run]):
        return spans
    for i, title in enumerate(run):
        if i < 2 or title.surface not in _OFFICER_TITLES or run[i - 1].end != title.start:
            continue
        first = i
        while first > 0 and i - first < MAX_NAME_TOKENS and run[first - 1].end == run[first].start:
            prev = run[first - 1]
            if (
                prev.surface in NAME_STOPS
                or department(prev)
                or prev.surface in LEGAL_FORMS
                or _counting(run, first - 1)
                or prev.pos[0] not in ("名詞", "接頭辞", "接尾辞")
            ):
                break
            first -= 1
        while first < i and run[first].surface in (NOT_ORG_STEMS | NOT_SHORT_SURNAMES):
            first += 1
        stem = run[first:i]
        if len(stem) < 2 or stem[-1].surface in _NOT_NAME_HEADS or stem[0].pos[0] == "接尾辞":
            continue
        named = any(distinctive(m) and not person_token(m) for m in stem)
        if named or (company_suffix(stem[-1]) and stem[0].surface not in INDUSTRY_WORDS):
            spans.append(NameSpan(COMPANY, stem[0].start, stem[-1].end, 0.6, "officer-title"))
    return spans


def _counting(run: list[Morpheme], k: int) -> bool:
    """run[k] counts something: a number (not after 第: 第一北斗保険) or a counter word right
    after a number (二代目). A counter word after a name counts nothing (JX日鉱)."""
    m = run[k]
    if m.pos[1] == "数詞" or m.surface.isdigit():
        return not (k > 0 and run[k - 1].surface == "第")
    return counter(m) and k > 0 and (run[k - 1].pos[1] == "数詞" or run[k - 1].surface.isdigit())
