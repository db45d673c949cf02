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

This module finds the runs of noun-like morphemes and combines the rules of
``company_names``, ``person_names`` and ``foreign_names`` (shared predicates in
``name_tokens``), keeping the longest span where they overlap.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import replace

from redaction.company_cues import (
    listed_with_companies,
    plural_compounds,
    titled_companies,
    with_web_address,
    without_eras,
)
from redaction.company_gazetteer import listed_companies
from redaction.company_names import (
    legal_form_companies,
    next_to_company_words,
    organisations,
    quoted_companies,
    rare_katakana,
    suffix_companies,
)
from redaction.company_phrases import (
    branches,
    chains_before_cues,
    counted_companies,
    cued_phrases,
    holdings,
    listed_phrases,
)
from redaction.foreign_names import chains, proper_nouns
from redaction.lexicon import (
    COMPANY_CONTEXT,
    COMPANY_CONTEXT_RE,
    LEGAL_FORMS,
    PERSON_SUFFIXES,
)
from redaction.morpheme import Morpheme
from redaction.name_tokens import (
    CONNECTORS,
    PERSON,
    NameSpan,
    Positions,
    is_kanji,
    is_katakana,
    is_latin,
    nounish,
    properish,
)
from redaction.person_names import people


def runs(morphemes: Sequence[Morpheme]) -> Iterator[list[Morpheme]]:
    """Maximal runs of adjacent noun-like morphemes (connectors ・＝& allowed inside)."""
    run: list[Morpheme] = []
    for i, m in enumerate(morphemes):
        joined = bool(run) and (m.start == run[-1].end or _latin_gap(run[-1], m))
        if not joined and run:
            yield run
            run = []
        after_dot = bool(run) and run[-1].surface in CONNECTORS and is_katakana(m.surface)
        if nounish(m) or after_dot or (m.surface in CONNECTORS and _connects(morphemes, i)):
            run.append(m)
        elif run:
            yield run
            run = []
    if run:
        yield run


def _latin_gap(a: Morpheme, b: Morpheme) -> bool:
    return b.start == a.end + 1 and is_latin(a.surface) and is_latin(b.surface)


def _connects(morphemes: Sequence[Morpheme], i: int) -> bool:
    if i == 0 or i + 1 >= len(morphemes):
        return False
    before, after = morphemes[i - 1], morphemes[i + 1]
    return (
        before.end == morphemes[i].start
        and after.start == morphemes[i].end
        and properish(before) | is_katakana(before.surface)
        and properish(after) | is_katakana(after.surface)
    )


def _join_legal_forms(morphemes: Sequence[Morpheme]) -> list[Morpheme]:
    """One token for a legal form Sudachi splits (監査 + 法人, 税理士 + 法人)."""
    out: list[Morpheme] = []
    for m in morphemes:
        if (
            out
            and m.surface in ("法人", "会社", "組合")
            and out[-1].end == m.start
            and out[-1].surface + m.surface in LEGAL_FORMS
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
        if len(run) > 1 or not _plain(run[0]):
            spans.extend(_in_run(run, context))
    spans += next_to_company_words(morphemes)
    spans += quoted_companies(morphemes)
    spans += counted_companies(morphemes) + chains_before_cues(morphemes) + branches(morphemes)
    spans += cued_phrases(morphemes) + holdings(morphemes)
    spans += listed_companies(morphemes)
    at = Positions.of(morphemes)
    spans = _drop_contained(_regnal(morphemes, _codes_removed(morphemes, spans, at), at))
    spans = without_eras(morphemes, with_web_address(morphemes, spans, at), at)
    spans += listed_with_companies(morphemes, spans, at) + listed_phrases(morphemes, spans, at)
    return _drop_contained(spans + _known_parts(morphemes, spans, at))


def _plain(m: Morpheme) -> bool:
    """A dictionary word, neither proper noun, katakana nor Latin: alone in its run, no rule
    of ``_in_run`` finds a name in it (issue 18: half the runs of a page; the rules that read
    more than one morpheme need a neighbour, the others one of these four properties).
    A new rule in ``_in_run`` that can fire on such a word must change this test too
    (``tests/redaction/test_fast_paths.py`` checks it on the rule tables' texts)."""
    return not (m.oov or m.pos[1] == "固有名詞" or is_katakana(m.surface) or is_latin(m.surface))


def _in_run(run: list[Morpheme], company_context: bool) -> list[NameSpan]:
    spans = legal_form_companies(run)
    spans += suffix_companies(run)
    spans += organisations(run)
    spans += people(run)
    spans += chains(run, company_context)
    spans += proper_nouns(run, company_context)
    spans += rare_katakana(run, company_context)
    spans += plural_compounds(run)
    spans += titled_companies(run)
    return _drop_contained(spans)


def _regnal(morphemes: Sequence[Morpheme], spans: list[NameSpan], at: Positions) -> list[NameSpan]:
    """Extend names over a regnal number after them (ラムセス2世, シャッダム四世)."""
    ends = at.at_end
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


_FORMULA_WORDS = frozenset(["TRUE", "FALSE"])


def _codes_removed(
    morphemes: Sequence[Morpheme], spans: list[NameSpan], at: Positions
) -> list[NameSpan]:
    """Product codes (KX-200, AB3000) and spreadsheet calls (SUMIFS(, TRUE) are not names: an
    upper-case Latin word glued to digits or a hyphen and digits, or right before "(" ."""
    starts = at.starts
    kept = []
    for span in spans:
        first = bisect.bisect_left(starts, span.start)
        last = bisect.bisect_left(starts, span.end) - 1
        if not (
            first < len(morphemes)
            and morphemes[first].start == span.start
            and morphemes[last].end == span.end
            and _code(morphemes, first, last)
        ):
            kept.append(span)
    return kept


def _code(morphemes: Sequence[Morpheme], first: int, last: int) -> bool:
    words = morphemes[first : last + 1]
    if any(w.end != v.start for w, v in itertools.pairwise(words)):
        return False
    word = "".join(m.surface for m in words)
    if not (word.isascii() and word.isalnum() and word.upper() == word):
        return False
    if word in _FORMULA_WORDS:
        return True
    after = morphemes[last + 1].surface if last + 1 < len(morphemes) else ""
    before = morphemes[first - 1].surface if first else ""
    if after and morphemes[last + 1].start != words[-1].end:
        after = ""
    if before and morphemes[first - 1].end != words[0].start:
        before = ""
    return after[:1] in ("(", "-") or after[:1].isdigit() or before[-1:].isdigit()


_SPEAKER_MARKS = frozenset([":", ")", "）"])


def _known_parts(
    morphemes: Sequence[Morpheme], spans: list[NameSpan], at: Positions
) -> list[NameSpan]:
    """The surname or given name of a full name found in this text, alone elsewhere before a
    title, an honorific or a speaker's colon (出席者：東一郎 … 東：はい): one person, even when
    the surname is also an everyday word (東, 林, 森) the rules would not take alone."""
    people = [s for s in spans if s.kind == PERSON]
    if not people:
        return []
    starts = at.at_start
    known: set[str] = set()
    covered: set[int] = set()
    for span in people:
        k = starts.get(span.start)
        covered.update(range(span.start, span.end))
        if k is not None and morphemes[k].end == span.end and is_kanji(morphemes[k].surface):
            # One token (東一郎): its surname is one or two characters, the given name two.
            name = morphemes[k].surface
            known.update(name[:n] for n in range(1, len(name) - 1))
        if k is None or k + 1 >= len(morphemes) or morphemes[k + 1].end > span.end:
            continue
        first, rest = morphemes[k], morphemes[k + 1]
        if is_kanji(first.surface) and first.end == rest.start and rest.end == span.end:
            known.update((first.surface, rest.surface))
    out = []
    for k, m in enumerate(morphemes[:-1]):
        after = morphemes[k + 1]
        if (
            m.surface in known
            and m.start not in covered
            and after.start == m.end
            and (after.surface in PERSON_SUFFIXES or after.surface in _SPEAKER_MARKS)
        ):
            out.append(NameSpan(PERSON, m.start, m.end, 0.7, "known-part"))
    return out


def _drop_contained(spans: list[NameSpan]) -> list[NameSpan]:
    """Keep the longest span where spans overlap (a legal-form company over the person name
    inside it); at equal length the higher score wins."""
    if len(spans) < 2:
        return list(spans)  # most runs: nothing to compare
    ordered = sorted(spans, key=lambda s: (-(s.end - s.start), -s.score))
    kept: list[NameSpan] = []
    if ordered[-1].end <= ordered[-1].start:  # an empty span (none seen): every pair tested
        for span in ordered:
            if all(span.end <= k.start or span.start >= k.end for k in kept):
                kept.append(span)
        return sorted(kept, key=lambda s: s.start)
    # The kept spans never overlap, so in start order their ends rise too: a span overlaps
    # one of them iff it overlaps the last that starts before it ends (issue 18: a page has
    # a hundred spans; the test of each against all kept was a twentieth of the analysis).
    starts: list[int] = []
    ends: list[int] = []
    for span in ordered:
        k = bisect.bisect_left(starts, span.end) - 1
        if k < 0 or ends[k] <= span.start:
            kept.append(span)
            k = bisect.bisect_right(starts, span.start)
            starts.insert(k, span.start)
            ends.insert(k, span.end)
    return sorted(kept, key=lambda s: s.start)
