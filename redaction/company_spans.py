"""A small span classifier for organisation names the rules leave alone (issue 13).

Candidates are stretches of glued nouns (kanji, katakana, Latin; ・ between two of them) and
their sub-stretches of up to ``MAX_MORPHEMES`` morphemes that no rule name span touches, so
the rules' boundaries (a company and its person at the space, department words, 御中) stay
theirs. A logistic model scores each candidate; the best non-overlapping ones at or above the
threshold become COMPANY spans. It learns shapes and context, not names: the part of speech,
script and dictionary flags of the first and last morpheme, the span's length and script,
the word lists' flags (company and organisation words, legal forms, titles, cue words), the
words before and after it (は/が/の/に, quotes, 設立/買収/社長…), and the sentence's company cues.
A word's surface is a feature only when it is a closed-class word or frequent in the
training text (``vocabulary``: 銀行, バス, 発売), never a rare name.

The model (``data/company_spans.json``: the vocabulary, the weights and the threshold) is built
deterministically by ``bench/redaction/build_company_spans.py`` from the development set's
tune half and committed; nothing is trained or downloaded at run time. A candidate's score is
the sum of its features' weights: the per-word parts are summed once per distinct word and
cached, so a text costs a few look-ups per candidate.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from pathlib import Path

from redaction.lexicon import (
    COMPANY_CONTEXT,
    COMPANY_CONTEXT_RE,
    COMPANY_SUFFIXES,
    FACILITY_SUFFIXES,
    GENERIC_COMPANY_SUFFIXES,
    INDUSTRY_WORDS,
    LEGAL_FORMS,
    NAME_STOPS,
    NEXT_TO_COMPANY,
    NOT_NAMES,
    NOT_ORG_STEMS,
    ORG_SUFFIXES,
    PERSON_SUFFIXES,
    STRONG_COMPANY_SUFFIXES,
)
from redaction.morpheme import Morpheme
from redaction.name_tokens import COMPANY, NameSpan, char_kinds

MODEL = Path(__file__).parent / "data" / "company_spans.json"
MAX_MORPHEMES = 5
SCORE = 0.6  # what the recognizer reports: above the profiles' default minimum (0.5)
_CLOSED = frozenset(["助詞", "助動詞", "補助記号", "記号", "空白", "接尾辞", "接頭辞"])
_JOINERS = frozenset(["・", "&", "＆", "-"])
_CUES = NEXT_TO_COMPANY | COMPANY_CONTEXT
_SKIP_FIRST = INDUSTRY_WORDS | NOT_ORG_STEMS | NOT_NAMES | _JOINERS
_KATAKANA = frozenset("k")
_Parts = tuple[list[str], list[str], frozenset[str], frozenset[str]]
_LISTS = (
    ("cs", COMPANY_SUFFIXES),
    ("org", ORG_SUFFIXES),
    ("gen", GENERIC_COMPANY_SUFFIXES),
    ("strong", STRONG_COMPANY_SUFFIXES),
    ("ind", INDUSTRY_WORDS),
    ("stop", NAME_STOPS),
    ("title", PERSON_SUFFIXES),
    ("next", NEXT_TO_COMPANY),
    ("ctx", COMPANY_CONTEXT),
)


def _script(kinds: Iterable[str]) -> str:
    return "".join(sorted(kinds))


def _inside(m: Morpheme) -> bool:
    """A morpheme a name may be made of."""
    if m.pos[0] == "名詞":
        return m.pos[1] != "数詞" or not m.surface.isdigit()
    if m.pos[0] == "接頭辞" or (m.pos[0] == "接尾辞" and m.pos[1] == "名詞的"):
        return True
    if m.pos[0] == "形状詞" and all(0x30A0 <= ord(c) <= 0x30FF for c in m.surface):
        return True  # サイバー, ユニバーサル: katakana Sudachi reads as adjectival nouns
    return m.surface in LEGAL_FORMS


def stretches(morphemes: Sequence[Morpheme]) -> list[tuple[int, int]]:
    """Maximal runs of glued name-like morphemes (・ joins two of them)."""
    out = []
    k, n = 0, len(morphemes)
    while k < n:
        if not _inside(morphemes[k]):
            k += 1
            continue
        end = k + 1
        while end < n:
            m = morphemes[end]
            if m.start != morphemes[end - 1].end or m.space_before:
                break
            if _inside(m):
                end += 1
            elif (
                m.surface in _JOINERS
                and end + 1 < n
                and _inside(morphemes[end + 1])
                and morphemes[end + 1].start == m.end
            ):
                end += 2
            else:
                break
        out.append((k, end))
        k = end
    return out


def _naming(m: Morpheme) -> bool:
    """A first word that can name an organisation, as for the rules' shaped phrases
    (``company_phrases``): not an everyday word of Sudachi's synonym groups (観光, 投資), not
    an adjectival or verbal noun (高級, 大型)."""
    return not (m.common or m.pos[2].startswith(("形状", "サ変")))


def candidates(
    morphemes: Sequence[Morpheme], rules: Sequence[NameSpan]
) -> Iterable[tuple[int, int, int, int]]:
    """(first, end, stretch first, stretch end) morpheme ranges no rule span touches and not
    made only of everyday katakana words (Sudachi's synonym groups: ハードウェア・ソフトウェア,
    the shape of an enumeration), the rules' own test for such names, nor starting with a word that makes the
    phrase an industry, a kind or a generic reference (大手商社, 高級陶器, 当協会; ``_naming``), nor holding a word the
    rules never read as a name (``NOT_NAMES``: ウェビナー, 社名変更, Google), as for the rules."""
    spans = sorted((s.start, s.end) for s in rules)
    for a, b in stretches(morphemes):
        lo, hi = morphemes[a].start, morphemes[b - 1].end
        near = [(x, y) for x, y in spans if x < hi and y > lo]
        touched = [
            bool(near) and any(x < m.end and y > m.start for x, y in near) for m in morphemes[a:b]
        ]
        for i in range(a, b):
            m = morphemes[i]
            if m.surface in _SKIP_FIRST or m.pos[0] == "接尾辞" or not _naming(m):
                continue
            everyday = True
            for j in range(i + 1, min(b, i + MAX_MORPHEMES) + 1):
                if touched[j - 1 - a] or morphemes[j - 1].surface in NOT_NAMES:
                    break
                last = morphemes[j - 1]
                everyday = everyday and (
                    last.surface in _JOINERS
                    or (last.common and char_kinds(last.surface) == _KATAKANA)
                )
                if last.surface in _JOINERS or last.pos[0] == "接頭辞" or everyday:
                    continue
                yield i, j, a, b


def _lists(s: str) -> list[str]:
    out = [name for name, words in _LISTS if s in words]
    if s in LEGAL_FORMS:
        out.append("legal")
    if s.endswith(FACILITY_SUFFIXES):
        out.append("fac")
    return out


def _flags(m: Morpheme) -> list[str]:
    out = []
    if m.oov:
        out.append("oov")
    if m.common:
        out.append("common")
    if m.surname:
        out.append("surname")
    if m.pos[1] == "固有名詞":
        out.append("prop:" + "/".join(m.pos[2:4]))
    return out


class Featurizer:
    """The features of candidates; per-word parts cached (``vocabulary``: shown surfaces)."""

    def __init__(self, vocabulary: frozenset[str]) -> None:
        self.vocabulary = vocabulary
        self._words: dict[tuple[str, str], str] = {}
        self._parts: dict[tuple[object, ...], _Parts] = {}

    def word(self, m: Morpheme) -> str:
        key = (m.surface, m.pos[0])
        found = self._words.get(key)
        if found is None:
            shown = m.pos[0] in _CLOSED or m.surface in self.vocabulary
            found = m.surface if shown else "_" + m.pos[0]
            if len(self._words) < 100_000:
                self._words[key] = found
        return found

    def parts(self, m: Morpheme) -> _Parts:
        """A word's features as a candidate's first and last morpheme, its flags and the
        kinds of its characters."""
        key = (m.surface, m.pos, m.oov, m.common, m.surname)
        found = self._parts.get(key)
        if found is None:
            chars = char_kinds(m.surface)
            kinds, word, flags = _script(chars), self.word(m), _flags(m)
            first = [f"t0={kinds}", f"p0={'/'.join(m.pos[:3])}", f"f={word}"]
            first += [f"l0:{x}" for x in _lists(m.surface)]
            last = [f"t1={kinds}", f"p1={'/'.join(m.pos[:3])}", f"h={word}"]
            last += [f"l1:{x}" for x in _lists(m.surface)]
            last += [f"last:{x}" for x in flags]
            found = (first, last, frozenset(flags), chars)
            if len(self._parts) < 100_000:
                self._parts[key] = found
        return found

    def words(self, morphemes: Sequence[Morpheme]) -> Callable[[int], str]:
        """``word`` of the k-th morpheme, each asked once per text."""
        seen: dict[int, str] = {}

        def at(k: int) -> str:
            found = seen.get(k)
            if found is None:
                found = seen[k] = self.word(morphemes[k])
            return found

        return at

    @staticmethod
    def left(w: Callable[[int], str], i: int) -> list[str]:
        """Context before a candidate starting at ``i`` (``w``: ``words``)."""
        return [f"-1={w(i - 1)}" if i >= 1 else "-1=^", f"-2={w(i - 2)}" if i >= 2 else "-2=^"]

    @staticmethod
    def right(morphemes: Sequence[Morpheme], w: Callable[[int], str], j: int) -> list[str]:
        """Context after a candidate ending before ``j``."""
        n = len(morphemes)
        out = [f"+{d + 1}={w(j + d)}" if j + d < n else f"+{d + 1}=$" for d in range(3)]
        if j + 1 < n:
            out.append(f"+12={w(j)}|{w(j + 1)}")
        if any(morphemes[k].surface in _CUES for k in range(j, min(n, j + 6))):
            out.append("near:cue")
        return out

    def own_key(
        self,
        morphemes: Sequence[Morpheme],
        w: Callable[[int], str],
        span: tuple[int, int, int, int],
    ) -> tuple[object, ...]:
        """What of the whole candidate its features depend on (``own`` spells them out)."""
        i, j, a, b = span
        kinds: set[str] = set()
        flags: set[str] = set()
        for k in range(i, j):
            parts = self.parts(morphemes[k])
            flags |= parts[2]
            kinds |= parts[3]
        quoted = i > 0 and j < len(morphemes) and morphemes[i - 1].surface == "「"
        return (
            j - i,
            min(morphemes[j - 1].end - morphemes[i].start, 10),
            _script(kinds),
            f"{int(i == a)}{int(j == b)}",
            tuple(sorted(flags)),
            w(i - 1) if i > a else None,
            w(j) if j < b else None,
            quoted and morphemes[j].surface == "」",
        )

    @staticmethod
    def own(key: tuple[object, ...]) -> list[str]:
        """The features of a candidate as a whole: length, script, flags, place in its stretch."""
        n, length, kinds, fill, flags, previous, following, quoted = key
        out = ["bias", f"n={n}", f"len={length}", f"t={kinds}", f"fill={fill}"]
        out += [f"any:{x}" for x in flags]  # type: ignore[attr-defined]
        if previous is not None:
            out.append(f"previn={previous}")
        if following is not None:
            out.append(f"nextin={following}")
        if quoted:
            out.append("quoted")
        return out

    def features(
        self,
        morphemes: Sequence[Morpheme],
        span: tuple[int, int, int, int],
        sentence: list[str],
    ) -> list[str]:
        """Every feature of one candidate (training; ``SpanModel`` sums the same parts)."""
        i, j, _, _ = span
        w = self.words(morphemes)
        return [
            *self.own(self.own_key(morphemes, w, span)),
            *self.parts(morphemes[i])[0],
            *self.parts(morphemes[j - 1])[1],
            *self.left(w, i),
            *self.right(morphemes, w, j),
            *sentence,
        ]


def sentence_features(morphemes: Sequence[Morpheme], rules: Sequence[NameSpan]) -> list[str]:
    """The text's company cues and the kinds of name the rules found in it."""
    out = []
    if {m.surface for m in morphemes} & COMPANY_CONTEXT or any(
        COMPANY_CONTEXT_RE.search(m.surface) for m in morphemes if len(m.surface) > 2
    ):
        out.append("s:ctx")
    out += [f"s:rule:{k}" for k in sorted({str(s.kind) for s in rules})]
    return out


class SpanModel:
    """The committed model: ``find`` adds COMPANY spans the rules' spans do not touch.
    Thread-safe (the caches are dicts whose get/set are atomic under the GIL)."""

    def __init__(self, weights: dict[str, float], vocabulary: frozenset[str], threshold: float):
        self.weights = weights
        self.threshold = threshold
        self.featurizer = Featurizer(vocabulary)
        self._sums: dict[tuple[object, ...], tuple[float, float]] = {}
        self._owns: dict[tuple[object, ...], float] = {}

    @classmethod
    def load(cls, path: Path = MODEL) -> SpanModel:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(data["weights"], frozenset(data["vocabulary"]), data["threshold"])

    def _sum(self, features: Iterable[str]) -> float:
        get = self.weights.get
        return sum(get(f, 0.0) for f in features)

    def _word_sums(self, m: Morpheme) -> tuple[float, float]:
        key = (m.surface, m.pos, m.oov, m.common, m.surname)
        found = self._sums.get(key)
        if found is None:
            first, last, _, _ = self.featurizer.parts(m)
            found = (self._sum(first), self._sum(last))
            if len(self._sums) < 100_000:
                self._sums[key] = found
        return found

    def scored(
        self, morphemes: Sequence[Morpheme], rules: Sequence[NameSpan]
    ) -> list[tuple[float, int, int]]:
        """(probability, first, end) of every candidate, best first."""
        f = self.featurizer
        sentence = self._sum(sentence_features(morphemes, rules))
        left: dict[int, float] = {}
        right: dict[int, float] = {}
        out = []
        w = f.words(morphemes)
        for span in candidates(morphemes, rules):
            i, j = span[0], span[1]
            if i not in left:
                left[i] = self._sum(f.left(w, i)) + self._word_sums(morphemes[i])[0]
            if j not in right:
                right[j] = self._sum(f.right(morphemes, w, j))
            key = f.own_key(morphemes, w, span)
            own = self._owns.get(key)
            if own is None:
                own = self._sum(f.own(key))
                if len(self._owns) < 100_000:
                    self._owns[key] = own
            z = sentence + left[i] + right[j] + self._word_sums(morphemes[j - 1])[1] + own
            out.append((1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z)))), i, j))
        out.sort(key=lambda x: (-x[0], x[1]))
        return out

    def find(self, morphemes: Sequence[Morpheme], rules: Sequence[NameSpan]) -> list[NameSpan]:
        """The best non-overlapping candidates at or above the threshold, as COMPANY spans."""
        out: list[NameSpan] = []
        used: list[tuple[int, int]] = []
        for p, i, j in self.scored(morphemes, rules):
            if p < self.threshold:
                break
            if any(i < y and j > x for x, y in used):
                continue
            used.append((i, j))
            out.append(NameSpan(COMPANY, morphemes[i].start, morphemes[j - 1].end, SCORE, "model"))
        return out


@cache
def shipped() -> SpanModel:
    """The committed model, read once per process (the engine warms it before workers fork)."""
    return SpanModel.load()
