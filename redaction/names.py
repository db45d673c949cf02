"""Person, company and place names from Sudachi morphemes — no statistical NER model.

Evidence, strongest first: a legal form before or after the name (株式会社カケハシ, 山田商事
(株)); Sudachi's own tags (固有名詞・人名 for 姓/名, 固有名詞・一般 for organisations and brands,
固有名詞・地名); a company suffix after a proper noun (九州電力, 西武バス, フェンダー社); an
honorific or title after a name (ジョンソン氏, 田中部長); katakana names joined by ・ or ＝.
Works on the normalised text; offsets are in that text.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from redaction.lexicon import (
    COMPANY_CONTEXT,
    COMPANY_SUFFIXES,
    ENGLISH_COMPANY_WORDS,
    LEGAL_FORM_RE,
    NAME_STOPS,
    NOT_COMPANY_ACRONYMS,
    NOT_NAMES,
    PERSON_SUFFIXES,
    STRONG_COMPANY_SUFFIXES,
)
from redaction.nlp import Morpheme

PERSON = "PERSON"
COMPANY = "COMPANY"
LOCATION = "LOCATION"
_CONNECTORS = frozenset("・=&'-")
_MAX_NAME_TOKENS = 6


@dataclass(frozen=True, slots=True)
class NameSpan:
    kind: str
    start: int
    end: int
    score: float
    rule: str


def _is_katakana(text: str) -> bool:
    return all(0x30A0 <= ord(c) <= 0x30FF or c == "ー" for c in text)


def _is_latin(text: str) -> bool:
    return any(c.isascii() and c.isalpha() for c in text) and all(
        c.isascii() and (c.isalnum() or c in ".&'-") for c in text
    )


def _latin_name(m: Morpheme) -> bool:
    """An acronym (IBM, NHK) or a mixed-case word (eBay, iXIT, Vivo) written inside Japanese
    text, where Latin script almost always spells a name. Long all-capital words are emphasis
    (CONFIDENTIAL), lower-case words are English prose."""
    s = m.surface.rstrip(".")
    if s.upper() in NOT_COMPANY_ACRONYMS or len(s) < 2:
        return False
    if s.isupper():
        return len(s) < 6
    return any(c.isupper() for c in s) and m.jp_neighbour


def _capitalised(text: str) -> bool:
    return text[:1].isupper() or (text[:1].isdigit() and any(c.isupper() for c in text))


def _is_hiragana(text: str) -> bool:
    return all(0x3041 <= ord(c) <= 0x309F for c in text)


def _nounish(m: Morpheme) -> bool:
    if m.pos[0] == "名詞":
        return m.pos[1] != "数詞" or not m.surface.isdigit()
    if LEGAL_FORM_RE.fullmatch(m.surface):
        return True  # (株) is tagged as a symbol
    return m.pos[0] == "接頭辞" or (m.pos[0] == "接尾辞" and m.pos[1] == "名詞的")


def _properish(m: Morpheme) -> bool:
    """Looks like (part of) a name rather than a common word."""
    if m.surface in NOT_NAMES:
        return False
    if m.pos[1] == "固有名詞" or (m.oov and m.pos[0] == "名詞" and m.pos[1] != "数詞"):
        return True
    s = m.surface
    if _is_latin(s):
        return _capitalised(s) and s.upper().rstrip(".") not in NOT_COMPANY_ACRONYMS
    return len(s) >= 2 and _is_katakana(s) and m.pos[0] == "名詞"


def runs(morphemes: Sequence[Morpheme]) -> Iterator[list[Morpheme]]:
    """Maximal runs of adjacent noun-like morphemes (connectors ・＝& allowed inside)."""
    run: list[Morpheme] = []
    for i, m in enumerate(morphemes):
        joined = bool(run) and (m.start == run[-1].end or _latin_gap(run[-1], m))
        if not joined and run:
            yield run
            run = []
        after_dot = bool(run) and run[-1].surface in _CONNECTORS and _is_katakana(m.surface)
        if _nounish(m) or after_dot or (m.surface in _CONNECTORS and _connects(morphemes, i)):
            run.append(m)
        elif run:
            yield run
            run = []
    if run:
        yield run


def _latin_gap(a: Morpheme, b: Morpheme) -> bool:
    return b.start == a.end + 1 and _is_latin(a.surface) and _is_latin(b.surface)


def _connects(morphemes: Sequence[Morpheme], i: int) -> bool:
    if i == 0 or i + 1 >= len(morphemes):
        return False
    before, after = morphemes[i - 1], morphemes[i + 1]
    return (
        before.end == morphemes[i].start
        and after.start == morphemes[i].end
        and _properish(before) | _is_katakana(before.surface)
        and _properish(after) | _is_katakana(after.surface)
    )


def find_names(morphemes: Sequence[Morpheme]) -> list[NameSpan]:
    spans: list[NameSpan] = []
    context = {m.surface for m in morphemes} & COMPANY_CONTEXT
    for run in runs(morphemes):
        spans.extend(_in_run(run, bool(context)))
    return spans


def _in_run(run: list[Morpheme], company_context: bool) -> list[NameSpan]:
    spans = _legal_form_companies(run)
    spans += _suffix_companies(run)
    spans += _people(run)
    spans += _chains(run, company_context)
    spans += _proper_nouns(run, company_context)
    return _drop_contained(spans)


def _legal_form_companies(run: list[Morpheme]) -> list[NameSpan]:
    spans: list[NameSpan] = []
    for i, m in enumerate(run):
        if not LEGAL_FORM_RE.fullmatch(m.surface):
            continue
        before = _name_tokens(run[:i][::-1])[::-1]
        after = _name_tokens(run[i + 1 :])
        use_before = bool(before) and (any(map(_properish, before)) or not after)
        if not (before or after):
            continue
        tokens = [*before, m] if use_before else [m, *after]
        spans.append(NameSpan(COMPANY, tokens[0].start, tokens[-1].end, 0.9, "legal-form"))
    return spans


def _name_tokens(tokens: Sequence[Morpheme]) -> list[Morpheme]:
    """The name next to a legal form, read away from it, stopping at role or place words."""
    out: list[Morpheme] = []
    for m in tokens[:_MAX_NAME_TOKENS]:
        if m.surface in NAME_STOPS or LEGAL_FORM_RE.fullmatch(m.surface) or _counter(m):
            break
        out.append(m)
    while out and out[-1].surface in _CONNECTORS:
        out.pop()
    return out


def _counter(m: Morpheme) -> bool:
    return m.pos[1] == "数詞" or m.pos[2] == "助数詞可能" or m.surface.isdigit()


def _grow(run: list[Morpheme], i: int, j: int) -> tuple[int, int]:
    """Widen a company name run[i..j] over neighbouring name parts: places and proper nouns
    before it (日本マイクロソフト), proper nouns, katakana and company suffixes after it
    (ヒルトン東京, アリガトール染色); common words inside only when a name part follows."""
    while i > 0 and _name_part(run[i - 1]) and run[i - 1].surface not in _CONNECTORS:
        i -= 1
    last = j
    k = j + 1
    while k < len(run) and k - i < _MAX_NAME_TOKENS * 2:
        m = run[k]
        if (
            m.surface in NAME_STOPS
            or _counter(m)
            or (m.pos[0] != "名詞" and m.surface not in _CONNECTORS)
        ):
            break
        if _name_part(m) or _company_suffix(m):
            last = k
        k += 1
    return i, last


def _name_part(m: Morpheme) -> bool:
    return (_properish(m) or (_is_katakana(m.surface) and len(m.surface) > 1)) and (
        m.surface not in NAME_STOPS
    )


def _company_suffix(m: Morpheme) -> bool:
    """The token is, or ends in, a company word (工業, 映画社 ending in 社)."""
    s = m.surface
    return s in COMPANY_SUFFIXES or (
        len(s) > 2 and (s[-1:] == "社" or s[-2:] in COMPANY_SUFFIXES) and m.pos[0] == "名詞"
    )


def _suffix_companies(run: list[Morpheme]) -> list[NameSpan]:
    spans: list[NameSpan] = []
    for i, m in enumerate(run):
        if not _company_suffix(m):
            continue
        first = _name_start(run, i) if i else None
        if first is not None:
            spans.append(NameSpan(COMPANY, run[first].start, m.end, 0.75, "company-suffix"))
        elif i == 1 and m.surface in STRONG_COMPANY_SUFFIXES and _kanji_stem(run[0]):
            # 東邦電力, 明光バス: an unlisted kanji name starting the phrase
            spans.append(NameSpan(COMPANY, run[0].start, m.end, 0.55, "kanji-company"))
    return spans


def _kanji_stem(m: Morpheme) -> bool:
    return (
        _is_kanji(m.surface)
        and len(m.surface) >= 2
        and m.pos[0] == "名詞"
        and m.surface not in NAME_STOPS
        and not _counter(m)
    )


def _name_start(run: list[Morpheme], suffix: int) -> int | None:
    """Index of the first proper-looking token of the name ending before ``suffix``."""
    first = None
    for j in range(suffix - 1, max(-1, suffix - _MAX_NAME_TOKENS), -1):
        m = run[j]
        if m.surface in NAME_STOPS:
            break
        if _properish(m) or m.pos[2] == "地名":
            first = j
        elif not (m.surface in _CONNECTORS or m.pos[0] == "名詞"):
            break
    return first


def _people(run: list[Morpheme]) -> list[NameSpan]:
    spans: list[NameSpan] = []
    i = 0
    while i < len(run):
        if not _person_token(run[i]):
            i += 1
            continue
        j = i
        while j + 1 < len(run) and (
            _person_token(run[j + 1]) or _joined_katakana(run, j + 1) or _given_name(run, j + 1)
        ):
            j += 1
        while j > i and run[j].surface in _CONNECTORS:
            j -= 1
        start = i
        while start > 0 and _joined_katakana(run, start - 1, backwards=True):
            start -= 1
        if start == i and _surname_before(run, i):
            start = i - 1
        score = 0.85 if j > i or start < i or _titled(run, j) else 0.6
        spans.append(NameSpan(PERSON, run[start].start, run[j].end, score, "sudachi-person"))
        i = j + 1
    spans += _titled_people(run)
    return spans


def _person_token(m: Morpheme) -> bool:
    return m.pos[1] == "固有名詞" and m.pos[2] == "人名"


def _is_kanji(text: str) -> bool:
    return all(0x4E00 <= ord(c) <= 0x9FFF or c in "々ヶ" for c in text)


def _given_name(run: list[Morpheme], k: int) -> bool:
    """run[k] is an unlisted given name after a surname: 1-3 kanji that end the run or come
    right before a title (須藤元気, 徐平)."""
    rest = run[k:]
    if len(rest) > 2 and not any(m.surface in PERSON_SUFFIXES for m in rest[1:3]):
        return False
    name = []
    for m in rest:
        if m.surface in PERSON_SUFFIXES:
            break
        name.append(m)
    chars = sum(len(m.surface) for m in name)
    given_before = len(run[k - 1].surface) if run[k - 1].pos[3] == "名" else 0
    return (
        _person_token(run[k - 1])
        and _is_kanji(run[k - 1].surface)
        and chars > 0
        and chars + given_before <= 3
        and len(name) <= 2
        and all(_is_kanji(m.surface) and m.pos[0] == "名詞" for m in name)
        and not any(m.surface in NAME_STOPS for m in name)
    )


def _surname_before(run: list[Morpheme], i: int) -> bool:
    """run[i-1] is an unlisted surname before a listed given name (岡本 + 三司 as 地名 + 名)."""
    if i == 0 or run[i].pos[2:4] != ("人名", "名"):
        return False
    m = run[i - 1]
    return (
        _is_kanji(m.surface)
        and 1 <= len(m.surface) <= 3
        and m.pos[0] == "名詞"
        and m.surface not in NAME_STOPS
    )


def _joined_katakana(run: list[Morpheme], k: int, *, backwards: bool = False) -> bool:
    """run[k] continues a katakana name through a ・/＝ connector (ミック・ジャガー)."""
    m = run[k]
    if m.surface in _CONNECTORS:
        neighbour = k - 1 if backwards else k + 1
        return 0 <= neighbour < len(run) and _is_katakana(run[neighbour].surface)
    if not (_is_katakana(m.surface) or _is_latin(m.surface)):
        return False
    previous = k + 1 if backwards else k - 1
    return 0 <= previous < len(run) and run[previous].surface in _CONNECTORS


def _titled(run: list[Morpheme], j: int) -> bool:
    return j + 1 < len(run) and run[j + 1].surface in PERSON_SUFFIXES


def _titled_people(run: list[Morpheme]) -> list[NameSpan]:
    """A proper-looking token right before an honorific or title (ジョンソン氏)."""
    spans: list[NameSpan] = []
    for i, m in enumerate(run):
        if i == 0 or m.surface not in PERSON_SUFFIXES:
            continue
        j = i - 1
        while j > 0 and (_properish(run[j - 1]) or run[j - 1].surface in _CONNECTORS):
            j -= 1
        if _properish(run[i - 1]) and run[i - 1].surface not in NAME_STOPS:
            spans.append(NameSpan(PERSON, run[j].start, run[i - 1].end, 0.8, "honorific"))
    return spans


def _chains(run: list[Morpheme], company_context: bool) -> list[NameSpan]:
    """Katakana or Latin words joined by ・/＝/spaces (ブリティッシュ・レイランド, Kiva Systems)
    and unknown katakana words: foreign names. A company suffix or context makes them
    companies, a listed given name or a title people."""
    spans: list[NameSpan] = []
    i = 0
    while i < len(run):
        j = _chain_end(run, i)
        parts = run[i : j + 1]
        words = [m for m in parts if m.surface not in _CONNECTORS]
        if words and _foreign_evidence(words) and words[0].surface not in NAME_STOPS:
            kind = _chain_kind(run, words, j, company_context)
            first, last = _grow(run, i, j) if kind == COMPANY else (i, j)
            spans.append(NameSpan(kind, run[first].start, run[last].end, 0.6, "foreign-name"))
        i = j + 1
    return spans


def _foreign_evidence(words: list[Morpheme]) -> bool:
    """An unknown katakana word, a proper noun, or several capitalised Latin words."""
    latin = [m for m in words if _is_latin(m.surface)]
    if len(latin) >= 2 and len(latin) == len(words):
        return True
    return any(
        m.pos[1] == "固有名詞" or (m.oov and _is_katakana(m.surface) and len(m.surface) >= 3)
        for m in words
    ) and (len(words) >= 2 or words[0].oov)


def _foreign_word(m: Morpheme) -> bool:
    return (_is_katakana(m.surface) and len(m.surface) >= 2) or (
        _is_latin(m.surface)
        and _capitalised(m.surface)
        and m.surface.upper().rstrip(".") not in NOT_COMPANY_ACRONYMS
    )


def _chain_end(run: list[Morpheme], i: int) -> int:
    if not _foreign_word(run[i]):
        return i
    j = i
    while j + 1 < len(run):
        nxt = run[j + 1]
        if _foreign_word(nxt) and (_is_latin(nxt.surface) == _is_latin(run[j].surface)):
            j += 1
        elif nxt.surface in _CONNECTORS and j + 2 < len(run) and _foreign_word(run[j + 2]):
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
    if _titled(run, j) or any(_person_token(m) for m in words):
        return PERSON
    if j + 1 < len(run) and run[j + 1].surface in COMPANY_SUFFIXES:
        return COMPANY
    return COMPANY if company_context else PERSON


def _proper_nouns(run: list[Morpheme], company_context: bool) -> list[NameSpan]:
    """Remaining 固有名詞・一般 (organisations, brands) and 地名 tokens."""
    spans: list[NameSpan] = []
    for i, m in enumerate(run):
        latin = _is_latin(m.surface)
        if m.surface in NOT_NAMES or (latin and not _properish(m)):
            continue
        if m.pos[1] != "固有名詞" and not (
            latin and m.surface.isupper() and 1 < len(m.surface) < 6
        ):
            continue
        if m.pos[2] == "地名":
            if m.pos[3] != "国":
                spans.append(NameSpan(LOCATION, m.start, m.end, 0.6, "sudachi-place"))
            continue
        if m.pos[2] == "一般" or _is_latin(m.surface):
            score = 0.75 if company_context else 0.6
            first, last = _grow(run, i, i)
            spans.append(
                NameSpan(COMPANY, run[first].start, run[last].end, score, "sudachi-proper")
            )
    return spans


def _joined_end(run: list[Morpheme], i: int) -> int:
    end = i
    while end + 2 < len(run) and run[end + 1].surface in _CONNECTORS and _properish(run[end + 2]):
        end += 2
    return run[end].end


def _drop_contained(spans: list[NameSpan]) -> list[NameSpan]:
    """Keep the longest span where spans overlap (a legal-form company over the person name
    inside it); at equal length the higher score wins."""
    ordered = sorted(spans, key=lambda s: (-(s.end - s.start), -s.score))
    kept: list[NameSpan] = []
    for span in ordered:
        if all(span.end <= k.start or span.start >= k.end for k in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: s.start)
