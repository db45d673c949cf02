"""Person, company and place names from Sudachi morphemes — no statistical NER model.

Evidence, strongest first: a legal form before or after the name (株式会社カケハシ, 山田商事
(株)); Sudachi's own tags (固有名詞・人名 for 姓/名, 固有名詞・一般 for organisations and brands,
固有名詞・地名); a company suffix after a proper noun (九州電力, 西武バス, フェンダー社); an
honorific or title after a name (ジョンソン氏, 田中部長); katakana names joined by ・ or ＝.
Then weaker evidence, each rule kept off everyday words by Sudachi's synonym groups: words
Sudachi does not know (katakana or capitalised Latin inside Japanese text), organisation words
after common words (落語芸術協会), company cue words right after a particle (〜に買収, 〜の社長),
short kanji names before strong company words (新中央工業), a surname followed by unlisted
given-name pieces (壁村耐三), regnal numbers (ラムセス2世). Public places (東京駅) are not
companies. Works on the normalised text; offsets are in that text.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from redaction.lexicon import (
    COMPANY_CONTEXT,
    COMPANY_CONTEXT_RE,
    COMPANY_SUFFIXES,
    ENGLISH_COMPANY_WORDS,
    FACILITY_SUFFIXES,
    FOUNDING_WORDS,
    GENERIC_COMPANY_SUFFIXES,
    INDUSTRY_WORDS,
    LEGAL_FORM_RE,
    NAME_STOPS,
    NEXT_TO_COMPANY,
    NOT_COMPANY_ACRONYMS,
    NOT_NAMES,
    NOT_ORG_STEMS,
    ORG_SUFFIXES,
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


def _join_legal_forms(morphemes: Sequence[Morpheme]) -> list[Morpheme]:
    """One token for a legal form Sudachi splits (監査 + 法人, 税理士 + 法人)."""
    out: list[Morpheme] = []
    for m in morphemes:
        if (
            out
            and m.surface in ("法人", "会社", "組合")
            and out[-1].end == m.start
            and LEGAL_FORM_RE.fullmatch(out[-1].surface + m.surface)
        ):
            out[-1] = replace(m, surface=out[-1].surface + m.surface, start=out[-1].start)
        else:
            out.append(m)
    return out


def find_names(morphemes: Sequence[Morpheme]) -> list[NameSpan]:
    spans: list[NameSpan] = []
    morphemes = _join_legal_forms(morphemes)
    context = bool({m.surface for m in morphemes} & COMPANY_CONTEXT) or any(
        COMPANY_CONTEXT_RE.search(m.surface) for m in morphemes if len(m.surface) > 2
    )
    for run in runs(morphemes):
        spans.extend(_in_run(run, context))
    spans += _next_to_company_words(morphemes)
    spans += _quoted_companies(morphemes)
    return _drop_contained(_regnal(morphemes, spans))


_CASE_PARTICLES = frozenset("のがにとはもを")


def _next_to_company_words(morphemes: Sequence[Morpheme]) -> list[NameSpan]:
    """A lone katakana or Latin word, even an everyday one, right before a particle and a
    word only companies go with (アップルに買収, ジャッカルの社長, オラクルの株価)."""
    spans: list[NameSpan] = []
    for k in range(len(morphemes) - 2):
        m, particle, cue = morphemes[k], morphemes[k + 1], morphemes[k + 2]
        if (
            particle.surface not in _CASE_PARTICLES
            or cue.surface not in NEXT_TO_COMPANY
            or m.surface in NOT_NAMES
            or m.pos[0] != "名詞"
            or (k > 0 and morphemes[k - 1].end == m.start and _nounish(morphemes[k - 1]))
        ):
            continue
        s = m.surface
        wordlike = (_is_katakana(s) and len(s) >= 3) or (_is_latin(s) and _capitalised(s))
        if wordlike and s.upper() not in NOT_COMPANY_ACRONYMS:
            spans.append(NameSpan(COMPANY, m.start, m.end, 0.6, "company-cue"))
    return spans


_MAX_QUOTED_TOKENS = 12


def _quoted_companies(morphemes: Sequence[Morpheme]) -> list[NameSpan]:
    """A name in 「」 right before a particle and a founding or company word
    (「ハミルトン・ラボ」を設立, 「伊東胡蝶園」に商号変更, 「X」の社長), when one of its
    words is not an everyday word (「新会社」を設立, 「営業推進室」を設立 stay)."""
    spans: list[NameSpan] = []
    for k, close in enumerate(morphemes[:-2]):
        particle, cue = morphemes[k + 1], morphemes[k + 2]
        if (
            close.surface != "」"
            or particle.surface not in _CASE_PARTICLES
            or not (cue.surface in FOUNDING_WORDS or cue.surface in NEXT_TO_COMPANY)
        ):
            continue
        first = k
        while (
            first > 0 and k - first <= _MAX_QUOTED_TOKENS and morphemes[first - 1].surface != "「"
        ):
            first -= 1
        inside = morphemes[first:k]
        if (
            first == 0
            or not inside
            or k - first > _MAX_QUOTED_TOKENS
            or any(m.pos[0] == "補助記号" and m.surface not in _CONNECTORS for m in inside)
            or not any(map(_distinctive, inside))
            or inside[-1].surface.endswith(FACILITY_SUFFIXES)
        ):
            continue
        spans.append(NameSpan(COMPANY, inside[0].start, inside[-1].end, 0.6, "quoted-company"))
    return spans


def _in_run(run: list[Morpheme], company_context: bool) -> list[NameSpan]:
    spans = _legal_form_companies(run)
    spans += _suffix_companies(run)
    spans += _organisations(run)
    spans += _people(run)
    spans += _chains(run, company_context)
    spans += _proper_nouns(run, company_context)
    spans += _rare_katakana(run, company_context)
    return _drop_contained(spans)


def _regnal(morphemes: Sequence[Morpheme], spans: list[NameSpan]) -> list[NameSpan]:
    """Extend names over a regnal number after them (ラムセス2世, シャッダム四世)."""
    ends = {m.end: k for k, m in enumerate(morphemes)}
    out = []
    for span in spans:
        k = ends.get(span.end)
        if k is not None and k + 2 < len(morphemes):
            number, sei = morphemes[k + 1], morphemes[k + 2]
            if (
                number.pos[1] == "数詞"
                and sei.surface == "世"
                and number.start == span.end
                and sei.start == number.end
            ):
                span = NameSpan(span.kind, span.start, sei.end, span.score, span.rule)
        out.append(span)
    return out


def _distinctive(m: Morpheme) -> bool:
    """Not an everyday word: a proper noun, a word Sudachi does not know, a katakana word
    outside its synonym groups (オラクル but not メール), a capitalised Latin word."""
    if m.surface in NOT_NAMES:
        return False
    if m.pos[1] == "固有名詞" or m.oov:
        return True
    if _is_latin(m.surface):
        return _capitalised(m.surface) and not m.common
    return _is_katakana(m.surface) and len(m.surface) >= 2 and not m.common


def _organisations(run: list[Morpheme]) -> list[NameSpan]:
    """Associations, universities, institutes and unions named by common words before an
    organisation word (落語芸術協会, 人文地理学会, 外食文化研究所, 林野労組, ミネソタ大学)."""
    spans: list[NameSpan] = []
    for i, m in enumerate(run):
        if i == 0 or m.surface not in ORG_SUFFIXES or m.start != run[i - 1].end:
            continue
        first = i
        while first > 0 and i - first < _MAX_NAME_TOKENS - 1:
            prev = run[first - 1]
            joined = prev.surface in _CONNECTORS and first > 1
            if (
                prev.surface in NAME_STOPS
                or prev.surface in ORG_SUFFIXES
                or _counter(prev)
                or LEGAL_FORM_RE.fullmatch(prev.surface)
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
        if m.surface in ("センター", "組合") and not any(map(_distinctive, stem)):
            continue  # 物流センター, 労働組合: generic unless a name is in it
        spans.append(NameSpan(COMPANY, stem[0].start, m.end, 0.6, "organisation"))
    return spans


def _rare_katakana(run: list[Morpheme], company_context: bool) -> list[NameSpan]:
    """A lone katakana word outside Sudachi's synonym groups (オラクル, グレッチ), in a text
    about companies (買収, 子会社, 株価…): a company name in everyday katakana."""
    if not company_context or len(run) != 1:
        return []
    m = run[0]
    if not (_is_katakana(m.surface) and len(m.surface) >= 3 and _distinctive(m)):
        return []
    return [NameSpan(COMPANY, m.start, m.end, 0.55, "rare-katakana")]


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
    return (
        s in COMPANY_SUFFIXES
        or m.norm in COMPANY_SUFFIXES
        or (len(s) > 2 and (s[-1:] == "社" or s[-2:] in COMPANY_SUFFIXES) and m.pos[0] == "名詞")
    )


def _suffix_companies(run: list[Morpheme]) -> list[NameSpan]:
    spans: list[NameSpan] = []
    for i, m in enumerate(run):
        if not _company_suffix(m):
            continue
        first = _name_start(run, i) if i else None
        if (
            first is not None
            and m.surface in GENERIC_COMPANY_SUFFIXES
            and not any(map(_distinctive, run[first:i]))
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
            not _is_kanji(m.surface)
            or m.surface in NAME_STOPS
            or m.surface in COMPANY_SUFFIXES
            or m.surface in INDUSTRY_WORDS
            or m.surface.isdigit()
            or m.pos[0] not in ("名詞", "接頭辞")
        ):
            return None
    if suffix == 1 and (len(stem[0].surface) < 2 or _counter(stem[0])):
        return None
    return 0


def _name_start(run: list[Morpheme], suffix: int) -> int | None:
    """Index of the first proper-looking token of the name ending before ``suffix``."""
    first = None
    for j in range(suffix - 1, max(-1, suffix - _MAX_NAME_TOKENS - 2), -1):
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
        evidence = j > i or start < i or _titled(run, j)
        if evidence or not run[i].everyday:  # a lone ベンダー, ビル is the everyday word
            score = 0.85 if evidence else 0.6
            spans.append(NameSpan(PERSON, run[start].start, run[j].end, score, "sudachi-person"))
        i = j + 1
    spans += _titled_people(run)
    spans += _surname_and_given(run)
    return spans


_PLURAL_AFTER_NAME = frozenset(["ら", "等", "達", "たち", "ども", "一家"])


def _surname_and_given(run: list[Morpheme]) -> list[NameSpan]:
    """A surname and the pieces of a given name Sudachi does not list (壁村 + 耐 + 三,
    影山 + ヒロノブ, 西尾 + 維新 with 西尾 a place that is also a surname), when the name
    ends the phrase or comes before a title or ら/等. Place-surnames take only rare kanji."""
    spans: list[NameSpan] = []
    for i, m in enumerate(run[:-1]):
        listed = m.pos[2:4] == ("人名", "姓")
        if not (listed or m.surname):
            continue
        j = i + 1
        chars = 0
        while j < len(run) and _given_piece(run[j], strict=not listed):
            chars += len(run[j].surface)
            j += 1
        after = run[j].surface if j < len(run) else None
        if j == i + 1 or not (
            after is None or after in PERSON_SUFFIXES or after in _PLURAL_AFTER_NAME
        ):
            continue
        if (_is_kanji(run[i + 1].surface) and chars > 3) or chars > 6:
            continue
        spans.append(NameSpan(PERSON, m.start, run[j - 1].end, 0.7, "surname-given"))
    return spans


def _given_piece(m: Morpheme, *, strict: bool) -> bool:
    s = m.surface
    if s in NAME_STOPS or s in _PLURAL_AFTER_NAME or s.isdigit():
        return False
    if _is_kanji(s) and len(s) <= 2:
        return _person_token(m) or not m.common
    if strict:
        return False
    return _is_katakana(s) and 2 <= len(s) <= 5 and not m.common


def _person_token(m: Morpheme) -> bool:
    return m.pos[1] == "固有名詞" and m.pos[2] == "人名" and m.surface not in NOT_NAMES


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
        before = run[i - 1]
        if (
            _properish(before)
            and before.surface not in NAME_STOPS
            and not (_is_katakana(before.surface) and before.pos[1] != "固有名詞" and before.common)
        ):
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
        dotted = len(words) < len(parts)
        if words and _foreign_evidence(words, dotted) and words[0].surface not in NAME_STOPS:
            kind = _chain_kind(run, words, j, company_context)
            first, last = _grow(run, i, j) if kind == COMPANY else (i, j)
            spans.append(NameSpan(kind, run[first].start, run[last].end, 0.6, "foreign-name"))
        i = j + 1
    return spans


def _foreign_evidence(words: list[Morpheme], dotted: bool = False) -> bool:
    """An unknown katakana word, a proper noun, or several capitalised Latin words; words
    joined by ・ also when one of them is not an everyday word (アスキー・メディアワークス)."""
    latin = [m for m in words if _is_latin(m.surface)]
    if len(latin) >= 2 and len(latin) == len(words):
        return True
    if len(words) == 1:
        if words[0].surface in NOT_NAMES:
            return False
        return _unknown_latin(words[0]) or _unknown_katakana(words[0])
    return any(
        m.pos[1] == "固有名詞"
        or _unknown_katakana(m)
        or (dotted and _distinctive(m) and not _english_abstract(m.surface))
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
        m.oov
        and _is_katakana(s)
        and len(s) >= 3
        and s not in NOT_NAMES
        and not _english_abstract(s)
    )


def _unknown_latin(m: Morpheme) -> bool:
    """A capitalised Latin word Sudachi does not know, written inside Japanese text (Yelp,
    Informix, TomTom): English words it knows (Meeting, Project) do not qualify."""
    return (
        m.oov
        and m.jp_neighbour
        and len(m.surface) >= 3
        and _is_latin(m.surface)
        and any(c.isupper() for c in m.surface)
        and m.surface not in NOT_NAMES
        and m.surface.upper().rstrip(".") not in NOT_COMPANY_ACRONYMS
    )


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
        if m.pos[2] == "一般" and m.surface.endswith(FACILITY_SUFFIXES):
            continue  # 東京駅, 羽田空港: public places, not organisations
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
