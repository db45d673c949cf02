"""Foreign names and remaining proper nouns: katakana or Latin words joined by ・/＝/spaces
(ブリティッシュ・レイランド, Kiva Systems) and words Sudachi does not know (ナイアンティック,
TomTom), typed as companies or people by suffixes, titles and context; then Sudachi's
remaining 固有名詞・一般 (organisations, brands) and 地名 tokens. English abstract nouns in
katakana (マイグレーション) are kept out.
"""

from __future__ import annotations

from redaction.lexicon import (
    COMPANY_SUFFIXES,
    ENGLISH_COMPANY_WORDS,
    FACILITY_SUFFIXES,
    NAME_STOPS,
    NOT_COMPANY_ACRONYMS,
    NOT_NAMES,
)
from redaction.morpheme import Morpheme
from redaction.name_tokens import (
    COMPANY,
    CONNECTORS,
    LOCATION,
    PERSON,
    NameSpan,
    capitalised,
    distinctive,
    grow,
    is_katakana,
    is_latin,
    person_token,
    properish,
    titled,
)


def chains(run: list[Morpheme], company_context: bool) -> list[NameSpan]:
    """Katakana or Latin words joined by ・/＝/spaces (ブリティッシュ・レイランド, Kiva Systems)
    and unknown katakana words: foreign names. A company suffix or context makes them
    companies, a listed given name or a title people."""
    spans: list[NameSpan] = []
    i = 0
    while i < len(run):
        j = _chain_end(run, i)
        if j == i and not run[i].oov:
            i += 1  # one known word: never evidence alone (``_foreign_evidence``), skipped fast
            continue
        parts = run[i : j + 1]
        words = [m for m in parts if m.surface not in CONNECTORS]
        dotted = len(words) < len(parts)
        if words and _foreign_evidence(words, dotted) and words[0].surface not in NAME_STOPS:
            kind = _chain_kind(run, words, j, company_context)
            first, last = grow(run, i, j) if kind == COMPANY else (i, j)
            spans.append(NameSpan(kind, run[first].start, run[last].end, 0.6, "foreign-name"))
        i = j + 1
    return spans


def _foreign_evidence(words: list[Morpheme], dotted: bool = False) -> bool:
    """An unknown katakana word, a proper noun, or several capitalised Latin words; words
    joined by ・ also when one of them is not an everyday word (アスキー・メディアワークス)."""
    latin = [m for m in words if is_latin(m.surface)]
    if len(latin) >= 2 and len(latin) == len(words):
        return True
    if len(words) == 1:
        if words[0].surface in NOT_NAMES:
            return False
        return _unknown_latin(words[0]) or _unknown_katakana(words[0])
    return any(
        m.pos[1] == "固有名詞"
        or _unknown_katakana(m)
        or (dotted and distinctive(m) and not _english_abstract(m.surface))
        for m in words
    )


# Endings of English abstract nouns in katakana (マイグレーション, エンゲージメント): rarely
# names on their own (company words like コーポレーション are matched as suffixes first).
_ABSTRACT_ENDINGS = ("ション", "メント", "ティング", "ディング", "リティ", "ネス", "ゼーション")


def _english_abstract(text: str) -> bool:
    return text.endswith(_ABSTRACT_ENDINGS)


def _unknown_katakana(m: Morpheme) -> bool:
    """A katakana word Sudachi does not know (ナイアンティック), not an English abstract noun."""
    s = m.surface
    return (
        m.oov and is_katakana(s) and len(s) >= 3 and s not in NOT_NAMES and not _english_abstract(s)
    )


def _unknown_latin(m: Morpheme) -> bool:
    """A capitalised Latin word Sudachi does not know, written inside Japanese text (Yelp,
    Informix, TomTom): English words it knows (Meeting, Project) do not qualify."""
    return (
        m.oov
        and m.jp_neighbour
        and len(m.surface) >= 3
        and is_latin(m.surface)
        and any(c.isupper() for c in m.surface)
        and m.surface not in NOT_NAMES
        and m.surface.upper().rstrip(".") not in NOT_COMPANY_ACRONYMS
    )


def _foreign_word(m: Morpheme) -> bool:
    return (is_katakana(m.surface) and len(m.surface) >= 2) or (
        is_latin(m.surface)
        and capitalised(m.surface)
        and m.surface.upper().rstrip(".") not in NOT_COMPANY_ACRONYMS
    )


def _chain_end(run: list[Morpheme], i: int) -> int:
    if not _foreign_word(run[i]):
        return i
    j = i
    while j + 1 < len(run):
        nxt = run[j + 1]
        if _foreign_word(nxt) and (is_latin(nxt.surface) == is_latin(run[j].surface)):
            j += 1
        elif nxt.surface in CONNECTORS and j + 2 < len(run) and _foreign_word(run[j + 2]):
            j += 2
        else:
            break
    return j


def _chain_kind(run: list[Morpheme], words: list[Morpheme], j: int, company_context: bool) -> str:
    if any(
        m.surface in COMPANY_SUFFIXES
        or m.surface.rstrip(".").upper() in ENGLISH_COMPANY_WORDS
        or (m.pos[2] == "一般" and m.pos[1] == "固有名詞")
        for m in words
    ):
        return COMPANY
    if titled(run, j) or any(person_token(m) for m in words):
        return PERSON
    if j + 1 < len(run) and run[j + 1].surface in COMPANY_SUFFIXES:
        return COMPANY
    return COMPANY if company_context else PERSON


def proper_nouns(run: list[Morpheme], company_context: bool) -> list[NameSpan]:
    """Remaining 固有名詞・一般 (organisations, brands) and 地名 tokens."""
    spans: list[NameSpan] = []
    for i, m in enumerate(run):
        latin = is_latin(m.surface)
        if m.surface in NOT_NAMES or (
            latin and (not properish(m) or m.surface.upper() in NOT_COMPANY_ACRONYMS)
        ):
            continue  # unknown acronyms are names, known ones (XLSX, CSV, VLOOKUP) are not
        if m.pos[1] != "固有名詞" and not (
            latin and m.surface.isupper() and 1 < len(m.surface) < 6
        ):
            continue
        if m.pos[2] == "地名":
            if m.pos[3] != "国":
                spans.append(NameSpan(LOCATION, m.start, m.end, 0.6, "sudachi-place"))
            continue
        if m.pos[2] == "一般" and m.surface.endswith(FACILITY_SUFFIXES):
            continue  # 東京駅, 羽田空港: public places, not organisations
        if m.pos[2] == "一般" or is_latin(m.surface):
            score = 0.75 if company_context else 0.6
            first, last = grow(run, i, i)
            spans.append(
                NameSpan(COMPANY, run[first].start, run[last].end, score, "sudachi-proper")
            )
    return spans
