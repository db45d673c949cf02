"""Feature sets for the COMPANY CRF experiment (``company_crf.py``), built cheaply.

Each morpheme's own features are computed once per distinct (surface, tags, flags) and kept
with their neighbour-prefixed copies, so a text costs one dictionary look-up and a few list
joins per morpheme (the first experiment built every string per morpheme per text).

Feature sets:
- ``surface``: the first experiment's (surface, first/last character, POS, script, flags).
- ``shape``: no open-class surface at all: POS, script shape, length, dictionary flags
  (unknown, synonym group, also a surname), word-list flags, and the surface only of
  closed-class words (particles, auxiliaries, symbols, suffixes) and list words (社, 様, 御中).
- ``frequent``: ``shape`` plus the surface of words seen in at least ``MIN_DOCS`` training
  sentences (everyday context words, never a rare name).
- ``+rules`` (any of them): the rules' own reading of the morpheme (inside a rule COMPANY,
  PERSON or LOCATION span), so the model learns where to add to them.
"""

from __future__ import annotations

from collections.abc import Sequence

from redaction.lexicon import (
    COMPANY_CONTEXT,
    COMPANY_SUFFIXES,
    LEGAL_FORM_RE,
    NAME_STOPS,
    NEXT_TO_COMPANY,
    ORG_SUFFIXES,
    PERSON_SUFFIXES,
)
from redaction.morpheme import Morpheme
from redaction.name_tokens import NameSpan, char_kinds

MIN_DOCS = 5
_CLOSED_POS = frozenset(["助詞", "助動詞", "補助記号", "接尾辞", "接頭辞", "記号", "空白"])
_LISTED = COMPANY_SUFFIXES | ORG_SUFFIXES | PERSON_SUFFIXES | NEXT_TO_COMPANY | COMPANY_CONTEXT


def script(text: str) -> str:
    return "".join(sorted(char_kinds(text)))


def _flags(m: Morpheme) -> list[str]:
    s = m.surface
    on = {
        "oov": m.oov,
        "common": m.common,
        "surname": m.surname,
        "suffix": s in COMPANY_SUFFIXES or m.norm in COMPANY_SUFFIXES,
        "legal": bool(LEGAL_FORM_RE.fullmatch(s)),
        "org": s in ORG_SUFFIXES,
        "stop": s in NAME_STOPS,
        "title": s in PERSON_SUFFIXES,
        "cue": s in NEXT_TO_COMPANY,
        "ctx": s in COMPANY_CONTEXT,
    }
    return [name for name, flag in on.items() if flag]


class Featurizer:
    """Feature rows for a morpheme sequence under one feature set."""

    def __init__(self, kind: str, rules: bool, vocabulary: frozenset[str] = frozenset()) -> None:
        self.kind = kind
        self.rules = rules
        self.vocabulary = vocabulary
        self._cache: dict[tuple[object, ...], tuple[list[str], ...]] = {}

    def _own(self, m: Morpheme) -> list[str]:
        s = m.surface
        if self.kind == "surface":
            return [
                f"w={s}",
                f"p={'/'.join(m.pos[:4])}",
                f"p1={m.pos[1]}",
                f"t={script(s)}",
                f"n={min(len(s), 6)}",
                f"last={s[-1:]}",
                f"first={s[:1]}",
                *_flags(m),
            ]
        shown = m.pos[0] in _CLOSED_POS or s in _LISTED or s in self.vocabulary
        if self.kind == "compact":
            return [
                f"p={'/'.join(m.pos[:3])}",
                f"w={s}" if shown else f"p0={m.pos[0]}",
                f"t={script(s)}{min(len(s), 6)}",
                "f=" + ",".join(_flags(m)),
            ]
        return [
            f"p={'/'.join(m.pos[:4])}",
            f"w={s}" if shown else f"p0={m.pos[0]}",
            f"t={script(s)}",
            f"n={min(len(s), 6)}",
            *_flags(m),
        ]

    def _views(self, m: Morpheme) -> tuple[list[str], ...]:
        key = (m.surface, m.pos, m.oov, m.common, m.surname, m.norm)
        views = self._cache.get(key)
        if views is None:
            own = self._own(m)
            near, far = (2, 1) if self.kind == "compact" else (4, 3)
            views = (
                own,
                [f"-1:{f}" for f in own[:near]],
                [f"+1:{f}" for f in own[:near]],
                [f"-2:{f}" for f in own[:far]],
                [f"+2:{f}" for f in own[:far]],
            )
            if len(self._cache) < 200_000:
                self._cache[key] = views
        return views

    def rows(
        self, morphemes: Sequence[Morpheme], spans: Sequence[NameSpan] = ()
    ) -> list[list[str]]:
        views = [self._views(m) for m in morphemes]
        n = len(views)
        edge = (["edge"], ["-1:edge"], ["+1:edge"], ["-2:edge"], ["+2:edge"])
        padded = [edge, edge, *views, edge, edge]
        out = []
        for i in range(n):
            out.append(
                padded[i + 2][0]
                + padded[i + 1][1]
                + padded[i + 3][2]
                + padded[i][3]
                + padded[i + 4][4]
            )
        if self.rules and spans:
            k = 0
            ordered = sorted(spans, key=lambda s: s.start)
            for i, m in enumerate(morphemes):
                while k < len(ordered) and ordered[k].end <= m.start:
                    k += 1
                if k < len(ordered) and ordered[k].start <= m.start:
                    span = ordered[k]
                    where = "B" if span.start == m.start else "I"
                    out[i] = [*out[i], f"rule={span.kind}:{where}"]
        return out
