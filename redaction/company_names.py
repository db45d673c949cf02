"""Company and organisation names: a legal form before or after the name (株式会社カケハシ,
山田商事(株)), a company suffix after a proper noun (九州電力, フェンダー社), short kanji
names before strong company words (新中央工業), organisation words after common words
(落語芸術協会), company cue words right after a particle (〜に買収, 〜の社長), quoted names
before founding words (「X」を設立), and rare katakana in text about companies.

Rules over one run of noun-like morphemes (``redaction.names.runs``) or over the sentence.
"""

from __future__ import annotations

from collections.abc import Sequence

from redaction.lexicon import (
    COMPANY_SUFFIXES,
    FACILITY_SUFFIXES,
    FOUNDING_WORDS,
    FROM_COMPANY,
    GENERIC_COMPANY_SUFFIXES,
    INDUSTRY_WORDS,
    LEGAL_FORMS,
    NAME_STOPS,
    NEXT_TO_COMPANY,
    NOT_COMPANY_ACRONYMS,
    NOT_NAMES,
    NOT_ORG_STEMS,
    ORG_SUFFIXES,
    STRONG_COMPANY_SUFFIXES,
    WEAK_NEXT_TO_COMPANY,
)
from redaction.morpheme import Morpheme
from redaction.name_tokens import (
    COMPANY,
    CONNECTORS,
    MAX_NAME_TOKENS,
    NameSpan,
    capitalised,
    company_suffix,
    counter,
    department,
    distinctive,
    is_kanji,
    is_katakana,
    is_latin,
    nounish,
    properish,
)

_CASE_PARTICLES = frozenset("のがにとはもを")
_FROM_PARTICLES = frozenset(["から", "より"])


def _company_cue(particle: str, cue: str) -> bool:
    return (
        particle in _CASE_PARTICLES and (cue in NEXT_TO_COMPANY or cue in WEAK_NEXT_TO_COMPANY)
    ) or (particle in _FROM_PARTICLES and cue in FROM_COMPANY)


def next_to_company_words(morphemes: Sequence[Morpheme]) -> list[NameSpan]:
    """A lone katakana or Latin word, even an everyday one, right before a particle and a
    word only companies go with (アップルに買収, ジャッカルの社長, オラクルの株価,
    ペリカンから発売)."""
    spans: list[NameSpan] = []
    for k in range(len(morphemes) - 2):
        m, particle, cue = morphemes[k], morphemes[k + 1], morphemes[k + 2]
        if (
            not _company_cue(particle.surface, cue.surface)
            or m.surface in NOT_NAMES
            or m.pos[0] != "名詞"
            or (k > 0 and morphemes[k - 1].end == m.start and nounish(morphemes[k - 1]))
        ):
            continue
        s = m.surface
        wordlike = (is_katakana(s) and len(s) >= 3) or (is_latin(s) and capitalised(s))
        weak = not (
            cue.surface in NEXT_TO_COMPANY
            or (particle.surface in _FROM_PARTICLES and cue.surface in FROM_COMPANY)
        )
        if weak and not distinctive(m):
            continue
        if wordlike and s.upper() not in NOT_COMPANY_ACRONYMS:
            spans.append(NameSpan(COMPANY, m.start, m.end, 0.6, "company-cue"))
    return spans


_MAX_QUOTED_TOKENS = 12
# Katakana company words Sudachi may read inside one unknown word (ハヤセグループ).
_GROUP_WORDS = ("グループ", "ホールディングス", "カンパニー", "コーポレーション")


def quoted_companies(morphemes: Sequence[Morpheme]) -> list[NameSpan]:
    """A name in 「」 right before a particle and a founding or company word
    (「ハミルトン・ラボ」を設立, 「伊東胡蝶園」に商号変更, 「X」の社長), right before 社
    (「X」社), or itself ending in a company word (「北辰マルヤマグループ」), when one of its
    words is not an everyday word (「新会社」を設立, 「営業推進室」を設立 stay). Hiragana
    Sudachi can only read as fragments (an interjection, a numeral: スタジオぎゃろっぷ) is a
    word it does not know."""
    spans: list[NameSpan] = []
    for k, close in enumerate(morphemes[:-1]):
        if close.surface != "」":
            continue
        particle = morphemes[k + 1]
        cue = morphemes[k + 2] if k + 2 < len(morphemes) else particle
        first = k
        while (
            first > 0 and k - first <= _MAX_QUOTED_TOKENS and morphemes[first - 1].surface != "「"
        ):
            first -= 1
        inside = morphemes[first:k]
        cued = (
            particle.surface in _CASE_PARTICLES
            and (cue.surface in FOUNDING_WORDS or cue.surface in NEXT_TO_COMPANY)
        ) or (particle.surface == "社" and particle.start == close.end)
        if not cued and inside:
            last = inside[-1]
            cued = (
                company_suffix(last)
                or last.surface in LEGAL_FORMS
                or last.surface.endswith(_GROUP_WORDS)
            )
        if (
            not cued
            or first == 0
            or not inside
            or k - first > _MAX_QUOTED_TOKENS
            or any(m.pos[0] == "補助記号" and m.surface not in CONNECTORS for m in inside)
            or not any(distinctive(m) or _fragment(inside, j) for j, m in enumerate(inside))
            or inside[-1].surface.endswith(FACILITY_SUFFIXES)
        ):
            continue
        spans.append(NameSpan(COMPANY, inside[0].start, inside[-1].end, 0.6, "quoted-company"))
    return spans


def _fragment(inside: Sequence[Morpheme], j: int) -> bool:
    """Hiragana Sudachi reads as an interjection, an adverb or a numeral right after a noun
    in a quoted name: a word it does not know (スタジオぎゃろっぷ, スタジオぽてぽて)."""
    m = inside[j]
    return (
        j > 0
        and inside[j - 1].end == m.start
        and inside[j - 1].pos[0] == "名詞"
        and all("ぁ" <= c <= "ゖ" for c in m.surface)
        and (m.pos[0] in ("感動詞", "副詞") or m.pos[1] == "数詞")
    )


def organisations(run: list[Morpheme]) -> list[NameSpan]:
    """Associations, universities, institutes and unions named by common words before an
    organisation word (落語芸術協会, 人文地理学会, 外食文化研究所, 林野労組, ミネソタ大学)."""
    spans: list[NameSpan] = []
    for i, m in enumerate(run):
        if i == 0 or not _org_word(run, i) or m.start != run[i - 1].end:
            continue
        first = i
        while first > 0 and i - first < MAX_NAME_TOKENS - 1:
            prev = run[first - 1]
            joined = prev.surface in CONNECTORS and first > 1
            if (
                prev.surface in NAME_STOPS
                or prev.surface in ORG_SUFFIXES
                or counter(prev)
                or prev.surface in LEGAL_FORMS
                or (prev.pos[0] not in ("名詞", "接頭辞", "接尾辞") and not joined)
                or prev.end != run[first].start
            ):
                break
            first -= 1
        while first < i and (run[first].surface in NOT_ORG_STEMS or run[first].pos[0] == "接頭辞"):
            first += 1
        stem = run[first:i]
        if not stem or sum(len(t.surface) for t in stem) < 2:
            continue
        if m.surface in ("センター", "組合") and not any(map(distinctive, stem)):
            continue  # 物流センター, 労働組合: generic unless a name is in it
        spans.append(NameSpan(COMPANY, stem[0].start, m.end, 0.6, "organisation"))
    return spans


def _org_word(run: list[Morpheme], i: int) -> bool:
    """An organisation word, or 会 after a field of study (化学 + 会, 物理学 + 会: a 学会)."""
    s = run[i].surface
    return s in ORG_SUFFIXES or (
        s == "会" and run[i - 1].surface.endswith("学") and len(run[i - 1].surface) >= 2
    )


def rare_katakana(run: list[Morpheme], company_context: bool) -> list[NameSpan]:
    """A lone katakana word outside Sudachi's synonym groups (オラクル, グレッチ), in a text
    about companies (買収, 子会社, 株価…): a company name in everyday katakana."""
    if not company_context or len(run) != 1:
        return []
    m = run[0]
    if not (is_katakana(m.surface) and len(m.surface) >= 3 and distinctive(m)):
        return []
    return [NameSpan(COMPANY, m.start, m.end, 0.55, "rare-katakana")]


def legal_form_companies(run: list[Morpheme]) -> list[NameSpan]:
    spans: list[NameSpan] = []
    for i, m in enumerate(run):
        if m.surface not in LEGAL_FORMS:
            continue
        before = _name_tokens(run[:i][::-1], forward=False)[::-1]
        after = _name_tokens(run[i + 1 :], forward=True)
        use_before = bool(before) and (any(map(properish, before)) or not after)
        if not (before or after):
            continue
        tokens = [*before, m] if use_before else [m, *after]
        spans.append(NameSpan(COMPANY, tokens[0].start, tokens[-1].end, 0.9, "legal-form"))
    return spans


def _name_tokens(tokens: Sequence[Morpheme], *, forward: bool) -> list[Morpheme]:
    """The name next to a legal form, read away from it, stopping at role or place words, a
    department (経理部) and a space once the name has begun (株式会社ミライ精工 山田太郎)."""
    out: list[Morpheme] = []
    for j, m in enumerate(tokens[:MAX_NAME_TOKENS]):
        if (
            m.surface in NAME_STOPS
            or m.surface in LEGAL_FORMS
            or (counter(m) and not (forward and _inside_name(tokens, j)))
            or department(m)
            or (out and (m.space_before if forward else out[-1].space_before))
        ):
            break
        out.append(m)
    while out and out[-1].surface in CONNECTORS:
        out.pop()
    return out


def _inside_name(tokens: Sequence[Morpheme], j: int) -> bool:
    """A number or counter word inside a name read after a legal form (株式会社十和印刷,
    合資会社色部銀行): a kanji word follows, glued, that is neither a counter nor a stop."""
    if j + 1 >= len(tokens) or not is_kanji(tokens[j].surface):
        return False
    after = tokens[j + 1]
    return (
        after.start == tokens[j].end
        and is_kanji(after.surface)
        and not counter(after)
        and after.surface not in NAME_STOPS
        and not department(after)
    )


def suffix_companies(run: list[Morpheme]) -> list[NameSpan]:
    spans: list[NameSpan] = []
    for i, m in enumerate(run):
        if not company_suffix(m):
            continue
        first = _name_start(run, i) if i else None
        if (
            first is not None
            and m.surface in GENERIC_COMPANY_SUFFIXES
            and not any(map(distinctive, run[first:i]))
        ):
            first = None  # クラウドソフト, ハードウェア・ソフトウェア: everyday katakana
        if first is not None:
            spans.append(NameSpan(COMPANY, run[first].start, m.end, 0.75, "company-suffix"))
        elif (m.surface in STRONG_COMPANY_SUFFIXES or m.norm in STRONG_COMPANY_SUFFIXES) and (
            stem := _kanji_stem(run, i)
        ) is not None:
            # 東邦電力, 新中央工業, 第一汽車: an unlisted kanji name starting the phrase
            spans.append(NameSpan(COMPANY, run[stem].start, m.end, 0.55, "kanji-company"))
    return spans


def _kanji_stem(run: list[Morpheme], suffix: int) -> int | None:
    """Start of a short kanji name that begins the phrase and ends at a strong company word
    (up to three pieces, 2-5 characters; prefixes 新/第 and kanji numbers allowed)."""
    if not 1 <= suffix <= 3:
        return None
    stem = run[:suffix]
    chars = sum(len(m.surface) for m in stem)
    if not 2 <= chars <= 5:
        return None
    for m in stem:
        if (
            not is_kanji(m.surface)
            or m.surface in NAME_STOPS
            or m.surface in COMPANY_SUFFIXES
            or m.surface in INDUSTRY_WORDS
            or m.surface.isdigit()
            or m.pos[0] not in ("名詞", "接頭辞")
        ):
            return None
    if suffix == 1 and (len(stem[0].surface) < 2 or counter(stem[0])):
        return None
    return 0


def _name_start(run: list[Morpheme], suffix: int) -> int | None:
    """Index of the first proper-looking token of the name ending before ``suffix``."""
    first = None
    for j in range(suffix - 1, max(-1, suffix - MAX_NAME_TOKENS - 2), -1):
        m = run[j]
        if m.surface in NAME_STOPS:
            break
        if properish(m) or m.pos[2] == "地名":
            first = j
        elif not (m.surface in CONNECTORS or m.pos[0] == "名詞"):
            break
    return first
