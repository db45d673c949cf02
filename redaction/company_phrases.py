"""Company evidence from the phrase around a name (issue 13, company recall on new text).

- A counted list of companies: names joined by 、/と/や before の and a number of 社
  (ノルデン、グリフォーネの2社; 「かわべ商店」、…「北辰サービス」の3社).
- A ・-joined katakana name before a particle and a word only companies go with
  (イメージ・コミックを設立, ウェスタン・デジタルの子会社): a chain of everyday words
  (メール・チャット) is left alone elsewhere, not before these words.
- A chain's branch: a katakana or Latin name glued to a place name and 店/支店/工場
  (イオン上田店, Zenbox渋谷店): the name is the company, the place stays.

Rules over the sentence's morphemes; no word lists of names.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from redaction.lexicon import (
    FOUNDING_WORDS,
    FROM_COMPANY,
    INDUSTRY_WORDS,
    LEGAL_FORMS,
    NAME_STOPS,
    NEXT_TO_COMPANY,
    NOT_COMPANY_ACRONYMS,
    NOT_NAMES,
    NOT_ORG_STEMS,
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
)


def _where(morphemes: Sequence[Morpheme], words: frozenset[str], lo: int, hi: int) -> list[int]:
    """Indexes in [lo, hi) of the words a rule starts from: one quick pass, so each rule
    looks only at the few places it can apply (issue 18: a thousand morphemes a page)."""
    return [k for k, m in enumerate(morphemes) if m.surface in words and lo <= k < hi]


_SHA = frozenset(["社"])
_CUES = NEXT_TO_COMPANY | FOUNDING_WORDS | FROM_COMPANY
_KANJI_NUMBERS = {c: n for n, c in enumerate("〇一二三四五六七八九十", start=0)}
_LIST_JOINS = frozenset(["、", "と", "や", "・", "及び", "および"])
_MAX_LISTED = 10


def _number(m: Morpheme) -> int | None:
    s = m.surface
    if s.isdigit():
        return int(s)
    if len(s) == 1 and s in _KANJI_NUMBERS:
        return _KANJI_NUMBERS[s]
    return None


def counted_companies(morphemes: Sequence[Morpheme]) -> list[NameSpan]:
    """Names listed before の/など and a count of 社: every item of the list is a company
    (A、B、Cの3社). Quoted items earlier in the sentence count too when each is followed by
    、 (「A」、…「B」の2社). A single bare item (国内の3社) is no list."""
    spans: list[NameSpan] = []
    for k in _where(morphemes, _SHA, 2, len(morphemes)):
        sha, num = morphemes[k], morphemes[k - 1]
        count = _number(num)
        if sha.start != num.end or count is None or count < 2:
            continue
        end = k - 2
        if morphemes[end].surface == "の":
            end -= 1
        if end >= 0 and morphemes[end].surface in ("など", "等"):
            end -= 1
        items = _listed_items(morphemes, end)
        quoted = [item for item in items if item[1]]
        if len(items) < 2 and not quoted:
            continue
        if quoted:
            starts = {m.start: j for j, m in enumerate(morphemes)}
            begin = starts[items[-1][0][0].start] - (2 if items[-1][1] else 1)
            items += _earlier_quoted(morphemes, begin, count - len(items))
        for tokens, _ in items[:count]:
            if _name_like(tokens):
                spans.append(NameSpan(COMPANY, tokens[0].start, tokens[-1].end, 0.6, "counted"))
    return spans


def _listed_items(morphemes: Sequence[Morpheme], end: int) -> list[tuple[list[Morpheme], bool]]:
    """The items of a list ending at morphemes[end], read backwards: (tokens, quoted)."""
    items: list[tuple[list[Morpheme], bool]] = []
    while end >= 0 and len(items) < _MAX_LISTED:
        item = _item(morphemes, end)
        if item is None:
            break
        items.append(item)
        join = end - len(item[0]) - (2 if item[1] else 0)
        if join < 1 or morphemes[join].surface not in _LIST_JOINS:
            break
        end = join - 1
    return items


def _item(morphemes: Sequence[Morpheme], end: int) -> tuple[list[Morpheme], bool] | None:
    if morphemes[end].surface == "」":
        first = end - 1
        while (
            first >= 0 and end - first <= MAX_NAME_TOKENS * 2 and morphemes[first].surface != "「"
        ):
            first -= 1
        if first < 0 or morphemes[first].surface != "「" or first + 1 == end:
            return None
        return list(morphemes[first + 1 : end]), True
    first = end
    while (
        first >= 0
        and end - first < MAX_NAME_TOKENS
        and nounish(morphemes[first])
        and morphemes[first].surface not in NAME_STOPS
        and (first == end or morphemes[first].end == morphemes[first + 1].start)
    ):
        first -= 1
    tokens = list(morphemes[first + 1 : end + 1])
    return (tokens, False) if tokens else None


def _earlier_quoted(
    morphemes: Sequence[Morpheme], before: int, wanted: int
) -> list[tuple[list[Morpheme], bool]]:
    """Quoted names followed by 、 earlier in the same sentence, nearest first."""
    found: list[tuple[list[Morpheme], bool]] = []
    k = before
    while k > 0 and len(found) < wanted and morphemes[k].surface != "。":
        if morphemes[k].surface == "、" and morphemes[k - 1].surface == "」":
            item = _item(morphemes, k - 1)
            if item is not None:
                found.append(item)
                k -= len(item[0]) + 2
        k -= 1
    return found


def _name_like(tokens: list[Morpheme]) -> bool:
    """Not a generic or counted word (他, 国内, 3), nor a place alone (東京)."""
    return any(
        m.pos[0] == "名詞"
        and m.surface not in NOT_ORG_STEMS
        and m.surface not in NOT_NAMES
        and not counter(m)
        and m.pos[2] != "地名"
        for m in tokens
    )


_CASE_PARTICLES = frozenset("のがにとはもを")


def chains_before_cues(morphemes: Sequence[Morpheme]) -> list[NameSpan]:
    """A katakana chain joined by ・ right before a particle and a company or founding word
    (イメージ・コミックを設立, ウェスタン・デジタルの子会社, ノルデン・ラボから発売)."""
    spans: list[NameSpan] = []
    for c in _where(morphemes, _CUES, 4, len(morphemes)):
        k = c - 2
        particle, cue = morphemes[k + 1], morphemes[k + 2]
        if not (
            (
                particle.surface in _CASE_PARTICLES
                and (cue.surface in NEXT_TO_COMPANY or cue.surface in FOUNDING_WORDS)
            )
            or (particle.surface in ("から", "より") and cue.surface in FROM_COMPANY)
        ):
            continue
        first = k
        while (
            first >= 2
            and morphemes[first - 1].surface == "・"
            and is_katakana(morphemes[first - 2].surface)
            and morphemes[first - 2].end == morphemes[first - 1].start
            and morphemes[first - 1].end == morphemes[first].start
        ):
            first -= 2
        if (
            first == k
            or not all(
                is_katakana(m.surface) for m in morphemes[first : k + 1] if m.surface != "・"
            )
            or (
                first
                and morphemes[first - 1].end == morphemes[first].start
                and nounish(morphemes[first - 1])
            )
        ):
            continue
        spans.append(NameSpan(COMPANY, morphemes[first].start, morphemes[k].end, 0.6, "chain-cue"))
    return spans


_BRANCH_WORDS = frozenset(["店", "支店", "本店", "工場", "営業所", "事業所"])


def branches(morphemes: Sequence[Morpheme]) -> list[NameSpan]:
    """A katakana or Latin name glued to a place name and a branch word (イオン上田店)."""
    spans: list[NameSpan] = []
    for b in _where(morphemes, _BRANCH_WORDS, 2, len(morphemes)):
        k = b - 2
        m, place, branch = morphemes[k], morphemes[k + 1], morphemes[k + 2]
        s = m.surface
        if not (
            place.pos[2] == "地名"
            and branch.surface in _BRANCH_WORDS
            and m.end == place.start
            and place.end == branch.start
            and m.pos[0] == "名詞"
            and s not in NOT_NAMES
            and (
                (is_katakana(s) and len(s) >= 2)
                or (is_latin(s) and capitalised(s) and s.upper() not in NOT_COMPANY_ACRONYMS)
            )
            and not (k and morphemes[k - 1].end == m.start and nounish(morphemes[k - 1]))
        ):
            continue
        spans.append(NameSpan(COMPANY, m.start, m.end, 0.6, "branch"))
    return spans


def cued_phrases(morphemes: Sequence[Morpheme]) -> list[NameSpan]:
    """A phrase of two or more glued words right before a particle and a word only companies
    go with, when it has a company's shape: it ends in a company word after a word that names
    no industry (東洋陶器の社長, 明光バスに入社; not 大手銀行の株価), or it is katakana
    with a word outside Sudachi's synonym groups (ノルデンサイエンスの子会社)."""
    spans: list[NameSpan] = []
    for c in _where(morphemes, _CUES, 3, len(morphemes)):
        k = c - 2
        particle, cue = morphemes[k + 1], morphemes[k + 2]
        if not (
            (particle.surface in _CASE_PARTICLES and cue.surface in NEXT_TO_COMPANY)
            or (particle.surface in ("から", "より") and cue.surface in FROM_COMPANY)
        ):
            continue
        first = k
        while (
            first > 0
            and k - first < MAX_NAME_TOKENS - 1
            and morphemes[first - 1].end == morphemes[first].start
            and _phrase_part(morphemes[first - 1])
        ):
            first -= 1
        while first < k and (
            morphemes[first].surface in NOT_ORG_STEMS or morphemes[first].pos[0] == "接尾辞"
        ):
            first += 1
        phrase = morphemes[first : k + 1]
        if len(phrase) < 2 or not _phrase_part(phrase[-1]):
            continue
        shaped = company_suffix(phrase[-1]) and _naming(phrase[0])
        rare = all(is_katakana(m.surface) for m in phrase) and any(map(distinctive, phrase))
        if shaped or rare:
            spans.append(NameSpan(COMPANY, phrase[0].start, phrase[-1].end, 0.6, "cued-phrase"))
    return spans


def _naming(m: Morpheme) -> bool:
    """A first word that can name a company rather than say what kind it is: not an industry
    or a generic word (大手, 地方, 当), not in Sudachi's synonym groups (観光, 投資: everyday
    words), not an adjectival or verbal noun (高級, 大型)."""
    return not (
        m.surface in INDUSTRY_WORDS
        or m.surface in NOT_ORG_STEMS
        or m.common
        or m.pos[2].startswith(("形状", "サ変"))
    )


def _phrase_part(m: Morpheme) -> bool:
    return (
        m.pos[0] in ("名詞", "接頭辞", "接尾辞")
        and m.pos[1] != "数詞"
        and not m.surface.isdigit()
        and m.surface not in NAME_STOPS
        and not department(m)
        and m.surface not in LEGAL_FORMS
        and m.surface not in NOT_NAMES
    )


_PAIR_JOINS = frozenset(["、", "と", "や", "から"])


def listed_phrases(
    morphemes: Sequence[Morpheme], spans: list[NameSpan], at: Positions
) -> list[NameSpan]:
    """A company-shaped phrase (a company word after a word that names no industry) joined by
    、/と/や/から to a company found in the sentence (北辰陶器や日本碍子, 明光バスから防長交通へ,
    玉造船所、川崎重工業): alone, the shape is also everyday (観光バス); beside a company, it
    is one."""
    if not any(s.kind == COMPANY for s in spans):
        return []
    taken = [(s.start, s.end) for s in spans]
    starts = at.starts
    found: list[NameSpan] = []
    for span in spans:
        first = bisect.bisect_left(starts, span.start)
        last = bisect.bisect_left(starts, span.end) - 1
        if (
            span.kind != COMPANY
            or first >= len(morphemes)
            or morphemes[first].start != span.start
            or morphemes[last].end != span.end
        ):
            continue
        for phrase in (_phrase_before(morphemes, first - 1), _phrase_after(morphemes, last + 1)):
            if (
                len(phrase) >= 2
                and company_suffix(phrase[-1])
                and _naming(phrase[0])
                and not any(s < phrase[-1].end and e > phrase[0].start for s, e in taken)
            ):
                found.append(
                    NameSpan(COMPANY, phrase[0].start, phrase[-1].end, 0.55, "listed-phrase")
                )
    return found


def _phrase_before(morphemes: Sequence[Morpheme], join: int) -> Sequence[Morpheme]:
    if join < 1 or morphemes[join].surface not in _PAIR_JOINS:
        return []
    phrase = morphemes[_glued_start(morphemes, join - 1, join) : join]
    return phrase if all(map(_phrase_part, phrase)) else []


def _glued_start(morphemes: Sequence[Morpheme], first: int, end: int) -> int:
    """``first`` moved back over the phrase parts glued before it, the phrase up to ``end``
    staying shorter than a name's longest."""
    while (
        first > 0
        and end - first < MAX_NAME_TOKENS
        and morphemes[first - 1].end == morphemes[first].start
        and _phrase_part(morphemes[first - 1])
    ):
        first -= 1
    return first


def _phrase_after(morphemes: Sequence[Morpheme], join: int) -> Sequence[Morpheme]:
    if join + 1 >= len(morphemes) or morphemes[join].surface not in _PAIR_JOINS:
        return []
    last = join + 1
    while (
        last + 1 < len(morphemes)
        and last - join < MAX_NAME_TOKENS
        and morphemes[last + 1].start == morphemes[last].end
        and _phrase_part(morphemes[last + 1])
    ):
        last += 1
    phrase = morphemes[join + 1 : last + 1]
    if last + 1 < len(morphemes) and nounish(morphemes[last + 1]):
        return []  # the phrase goes on (a counter, a department): not read here
    return phrase if all(map(_phrase_part, phrase)) else []


def holdings(morphemes: Sequence[Morpheme]) -> list[NameSpan]:
    """A name before HD, the usual short form of ホールディングス (北辰吉祥庵HD): a glued
    phrase with a kanji or a distinctive word (フルHD is a screen)."""
    spans: list[NameSpan] = []
    for k, m in enumerate(morphemes):
        if m.surface != "HD" or not k or (k + 1 < len(morphemes) and nounish(morphemes[k + 1])):
            continue
        stem = morphemes[_glued_start(morphemes, k, k) : k]
        if (
            stem
            and stem[0].surface not in INDUSTRY_WORDS
            and stem[0].surface not in NOT_ORG_STEMS
            and any(is_kanji(t.surface) or distinctive(t) for t in stem)
        ):
            spans.append(NameSpan(COMPANY, stem[0].start, m.end, 0.6, "holdings"))
    return spans
