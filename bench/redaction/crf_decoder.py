"""A decoder for the company CRF in plain Python, faster than crfsuite's tagger (experiment).

Part of the issue-13 experiment (``company_crf.py``), not of the product. crfsuite's tagger
spends most of its time turning each morpheme's feature strings into ids; this decoder sums
each distinct word's weights once (cached) and runs a three-tag Viterbi, and forward-backward
only around the spans it tags.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

from crf_features import Featurizer

from redaction.morpheme import Morpheme

_TAGS = ("O", "B", "I")
CONTEXT = 6  # morphemes either side of a tagged span for its confidence
_EDGE = (["edge"], ["-1:edge"], ["+1:edge"], ["-2:edge"], ["+2:edge"])


class Decoder:
    """The loaded model, decoded here rather than by crfsuite's tagger.

    Measured, not adopted (docs/benchmarks.md). The model is linear: each feature string adds a weight per tag. So the weights of a
    distinct word's five views (its own and as a neighbour one or two away) are summed once
    and cached, and a text costs five cached vectors per morpheme and a three-tag Viterbi and
    forward-backward pass, instead of crfsuite turning ~9,000 feature strings per 1,000
    characters into ids (which cost about as much as the rest of the analysis). The file is
    read with crfsuite's own reader (``Tagger.info``) once. Gives crfsuite's tags exactly
    (``company_crf.py`` checks it); the confidences within a few hundredths.
    """

    def __init__(self, path: Path, feats: Featurizer) -> None:
        import pycrfsuite  # type: ignore[import-untyped]

        self.feats = feats
        tagger = pycrfsuite.Tagger()
        tagger.open(str(path))
        info = tagger.info()
        tagger.close()
        self._weights: dict[str, list[float]] = {}
        for (attribute, label), weight in info.state_features.items():
            row = self._weights.setdefault(attribute, [0.0, 0.0, 0.0])
            row[_TAGS.index(label)] = weight
        self._transitions = [[info.transitions.get((a, b), 0.0) for b in _TAGS] for a in _TAGS]
        self._scores: dict[tuple[object, ...], tuple[list[float], ...]] = {}
        self._edge = tuple(self._sum(view) for view in _EDGE)

    def _sum(self, strings: list[str]) -> list[float]:
        out = [0.0, 0.0, 0.0]
        for s in strings:
            row = self._weights.get(s)
            if row is not None:
                out = [a + b for a, b in zip(out, row, strict=True)]
        return out

    def _vectors(self, m: Morpheme) -> tuple[list[float], ...]:
        key = (m.surface, m.pos, m.oov, m.common, m.surname, m.norm)
        found = self._scores.get(key)
        if found is None:
            found = tuple(self._sum(view) for view in self.feats._views(m))
            if len(self._scores) < 100_000:
                self._scores[key] = found
        return found

    def state_scores(self, morphemes: Sequence[Morpheme]) -> list[tuple[float, float, float]]:
        """Per morpheme, the sum of its features' weights for each tag (O, B, I)."""
        edge = self._edge
        padded = [edge, edge, *(self._vectors(m) for m in morphemes), edge, edge]
        out = []
        for i in range(len(morphemes)):
            a, b, c = padded[i + 2][0], padded[i + 1][1], padded[i + 3][2]
            d, e = padded[i][3], padded[i + 4][4]
            out.append(
                (
                    a[0] + b[0] + c[0] + d[0] + e[0],
                    a[1] + b[1] + c[1] + d[1] + e[1],
                    a[2] + b[2] + c[2] + d[2] + e[2],
                )
            )
        return out

    def tags(self, morphemes: Sequence[Morpheme]) -> list[str]:
        """The best tag sequence (Viterbi over the whole text; ``tagged`` decodes pieces)."""
        scores = self.state_scores(morphemes)
        return [_TAGS[k] for k in self._viterbi(scores, False, False)]

    def _viterbi(self, scores: Sequence[Sequence[float]], head: bool, tail: bool) -> list[int]:
        """Best tags of a stretch; ``head``/``tail``: an O comes before/after it."""
        trans = self._transitions
        best = [scores[0][b] + (trans[0][b] if head else 0.0) for b in range(3)]
        back: list[list[int]] = []
        for row in scores[1:]:
            step = [max(range(3), key=lambda a, b=b: best[a] + trans[a][b]) for b in range(3)]
            best = [best[step[b]] + trans[step[b]][b] + row[b] for b in range(3)]
            back.append(step)
        if tail:
            best = [best[a] + trans[a][0] for a in range(3)]
        k = max(range(3), key=lambda k: best[k])
        path = [k]
        for step in reversed(back):
            k = step[k]
            path.append(k)
        return path[::-1]

    def _marginals(
        self, scores: Sequence[Sequence[float]], head: bool, tail: bool
    ) -> list[list[float]]:
        """P(tag at i) in a stretch by forward-backward, each step scaled to sum 1."""
        trans = [[math.exp(t) for t in row] for row in self._transitions]
        states = [[math.exp(x - max(row)) for x in row] for row in scores]
        alpha = []
        prev = [1.0, 0.0, 0.0] if head else None
        for row in states:
            if prev is not None:
                row = [row[b] * sum(prev[a] * trans[a][b] for a in range(3)) for b in range(3)]
            total = sum(row)
            prev = [x / total for x in row]
            alpha.append(prev)
        beta = [[trans[a][0] for a in range(3)] if tail else [1.0] * 3]
        for i in range(len(states) - 1, 0, -1):
            nxt = beta[-1]
            row = [sum(trans[a][b] * states[i][b] * nxt[b] for b in range(3)) for a in range(3)]
            total = sum(row)
            beta.append([x / total for x in row])
        beta.reverse()
        out = []
        for a_row, b_row in zip(alpha, beta, strict=True):
            joint = [x * y for x, y in zip(a_row, b_row, strict=True)]
            total = sum(joint)
            out.append([x / total for x in joint])
        return out

    def tagged(self, morphemes: Sequence[Morpheme]) -> list[tuple[float, int, int]]:
        """(confidence, first, end) morpheme ranges tagged as an organisation; the confidence
        is the least marginal probability of the span's tags, computed by forward-backward
        over the tagged span and ``CONTEXT`` morphemes either side (the rest of the text
        barely moves it)."""
        scores = self.state_scores(morphemes)
        path = self._fast_viterbi(scores)
        out: list[tuple[float, int, int]] = []
        n = len(path)
        k = 0
        while k < n:
            if path[k] != 1:
                k += 1
                continue
            end = k + 1
            while end < n and path[end] == 2:
                end += 1
            a, b = max(0, k - CONTEXT), min(n, end + CONTEXT)
            marginals = self._marginals(scores[a:b], False, False)
            confidence = min(marginals[j - a][path[j]] for j in range(k, end))
            out.append((confidence, k, end))
            k = end
        return out

    def _fast_viterbi(self, scores: Sequence[tuple[float, float, float]]) -> list[int]:
        """``_viterbi`` unrolled for three tags (it runs over every morpheme of a text)."""
        if not scores:
            return []
        (oo, ob, oi), (bo, bb, bi), (io, ib, ii) = self._transitions
        o, b, i = scores[0]
        back = []
        for so, sb, si in scores[1:]:
            fo, fb, fi = o + oo, b + bo, i + io
            if fo >= fb and fo >= fi:
                no, po = fo + so, 0
            elif fb >= fi:
                no, po = fb + so, 1
            else:
                no, po = fi + so, 2
            fo, fb, fi = o + ob, b + bb, i + ib
            if fo >= fb and fo >= fi:
                nb, pb = fo + sb, 0
            elif fb >= fi:
                nb, pb = fb + sb, 1
            else:
                nb, pb = fi + sb, 2
            fo, fb, fi = o + oi, b + bi, i + ii
            if fo >= fb and fo >= fi:
                ni, pi = fo + si, 0
            elif fb >= fi:
                ni, pi = fb + si, 1
            else:
                ni, pi = fi + si, 2
            back.append((po, pb, pi))
            o, b, i = no, nb, ni
        k = 0 if o >= b and o >= i else (1 if b >= i else 2)
        path = [k]
        for step in reversed(back):
            k = step[k]
            path.append(k)
        return path[::-1]
