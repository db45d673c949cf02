"""Experiment (issue 13): can a small CRF over Sudachi morphemes carry COMPANY to new text?

    uv run --group bench python bench/redaction/company_crf.py [--dev PATH] [--only NAME ...]

Not part of the product. A linear-chain CRF (python-crfsuite) tags B/I/O over the morphemes
the engine sees at run time (normalised text, ``SudachiNlpEngine``); its spans are added to
the rules' spans (the longest wins where they overlap; candidate M: only where the rules
found none, the form a recognizer beside the rules would ship in). Candidates
differ in features (``crf_features``: surfaces, or shapes that should generalise, with or
without the rules' own reading as a feature), regularisation (c1/c2), the labels trained on
(法人名 alone, or every organisation label) and a span-level filter.

The split stays honest. Per candidate: trained on tune-A, its threshold on the tagger's
confidence (the least marginal over a span's tags) and the span filter chosen on tune-B (the
best COMPANY coverage whose reported-on-gold stays within half a point of the rules' own
there); retrained on the whole tune half; scored once on the CHECK half. CPU: the CRF step
alone (features, tagging, marginals) on the bench's 1,000-character e-mail, median of 150,
with crfsuite's tagger and (candidates without rule features) ``crf_decoder``'s.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))

from crf_features import Featurizer, script  # noqa: E402
from run import DEV, _halves, quality  # noqa: E402

import redaction.names as names  # noqa: E402
from redaction.lexicon import COMPANY_SUFFIXES, LEGAL_FORM_RE, ORG_SUFFIXES  # noqa: E402
from redaction.name_tokens import COMPANY, NameSpan  # noqa: E402
from redaction.nlp import Morpheme, SudachiNlpEngine  # noqa: E402
from redaction.normalize import normalize  # noqa: E402

THRESHOLDS = (0.5, 0.7, 0.9)
ORG_LABELS = frozenset(["法人名", "政治的組織名", "その他の組織名"])
_RULES = names.find_names


@dataclass(frozen=True)
class Candidate:
    name: str
    kind: str  # surface | shape | frequent
    rules: bool = False
    c1: float = 0.1
    c2: float = 0.01
    labels: frozenset[str] = frozenset(["法人名"])
    # The product's form: spans only where the rules found none, no particle or symbol at
    # either end, no removed space inside (the rules' company/person boundary stays).
    additive: bool = False


CANDIDATES = (
    Candidate("A surface (first experiment)", "surface"),
    Candidate("B shape", "shape"),
    Candidate("C shape, c1=1 c2=0.1", "shape", c1=1.0, c2=0.1),
    Candidate("D frequent surfaces", "frequent", c1=0.5, c2=0.05),
    Candidate("E shape + rules", "shape", rules=True, c1=0.5, c2=0.05),
    Candidate("F frequent + rules", "frequent", rules=True, c1=0.5, c2=0.05),
    Candidate("G frequent + rules, all orgs", "frequent", True, 0.5, 0.05, ORG_LABELS),
    Candidate("H surface + rules, c1=1", "surface", rules=True, c1=1.0, c2=0.1),
    Candidate("I shape, all orgs, c1=1", "shape", False, 1.0, 0.1, ORG_LABELS),
    Candidate("J shape + rules, all orgs", "shape", True, 0.5, 0.05, ORG_LABELS),
    Candidate("K compact, all orgs", "compact", False, 0.5, 0.05, ORG_LABELS),
    Candidate("L compact + rules, all orgs", "compact", True, 0.5, 0.05, ORG_LABELS),
    Candidate("M = I, only where the rules found none", "shape", False, 1.0, 0.1, ORG_LABELS, True),
)


def _tokens(rows: list[dict[str, Any]], engine: SudachiNlpEngine) -> list[tuple[Any, ...]]:
    out = []
    for row in rows:
        mapped = normalize(row["text"])
        morphemes = engine.tokenize(mapped.text)
        out.append((row, morphemes, mapped.starts))
    return out


def _labels(
    row: dict[str, Any], morphemes: list[Morpheme], starts: Sequence[int], labels: frozenset[str]
) -> list[str]:
    gold = []
    for e in row["entities"]:
        inside = [i for i, s in enumerate(starts) if e["start"] <= s < e["end"]]
        if e["label"] in labels and inside:
            gold.append((inside[0], inside[-1] + 1))
    out = []
    for m in morphemes:
        tag = "O"
        for start, end in gold:
            if m.start <= start < m.end:
                tag = "B"
            elif start < m.start < end:
                tag = "I"
        out.append(tag)
    return out


def vocabulary(tokens: list[tuple[Any, ...]]) -> frozenset[str]:
    docs: Counter[str] = Counter()
    for _, morphemes, _ in tokens:
        docs.update({m.surface for m in morphemes})
    return frozenset(w for w, n in docs.items() if n >= 5)


def train(c: Candidate, tokens: list[tuple[Any, ...]], path: Path) -> Featurizer:
    import pycrfsuite  # type: ignore[import-untyped]

    feats = Featurizer(c.kind, c.rules, vocabulary(tokens) if c.kind == "frequent" else frozenset())
    trainer = pycrfsuite.Trainer(verbose=False)
    for row, morphemes, starts in tokens:
        spans = _RULES(morphemes) if c.rules else ()
        trainer.append(feats.rows(morphemes, spans), _labels(row, morphemes, starts, c.labels))
    params = {"c1": c.c1, "c2": c.c2, "max_iterations": 150, "feature.minfreq": 2}
    trainer.set_params({**params, "feature.possible_transitions": True})
    trainer.train(str(path))
    return feats


def _plausible(run: Sequence[Morpheme]) -> bool:
    """The span filter: no particle or symbol at either end, at most 10 morphemes, and some
    sign of a name (a proper noun, an unknown word, katakana or Latin, a company word)."""
    closed = ("助詞", "助動詞", "補助記号", "記号")
    if run[0].pos[0] in closed or run[-1].pos[0] in closed or len(run) > 10:
        return False
    return any(
        m.proper
        or m.oov
        or script(m.surface) in ("k", "U", "Ul", "l")
        or m.surface in COMPANY_SUFFIXES
        or m.surface in ORG_SUFFIXES
        or LEGAL_FORM_RE.fullmatch(m.surface)
        for m in run
    )


class Tagged:
    """CRF spans per morpheme sequence, tagged once and filtered per setting."""

    def __init__(self, tagger: Any, feats: Featurizer) -> None:
        self.tagger, self.feats = tagger, feats
        self._seen: dict[tuple[tuple[int, str], ...], list[tuple[float, int, int]]] = {}

    def raw(
        self, morphemes: Sequence[Morpheme], rule_spans: Sequence[NameSpan]
    ) -> list[tuple[float, int, int]]:
        key = tuple((m.start, m.surface) for m in morphemes)
        found = self._seen.get(key)
        if found is None:
            found = crf_raw(self.tagger, self.feats, morphemes, rule_spans)
            self._seen[key] = found
        return found


def crf_raw(
    tagger: Any, feats: Featurizer, morphemes: Sequence[Morpheme], rule_spans: Sequence[NameSpan]
) -> list[tuple[float, int, int]]:
    if not morphemes:
        return []
    tags = tagger.tag(feats.rows(morphemes, rule_spans))
    out = []
    start = None
    for k, tag in enumerate([*tags, "O"]):
        if start is not None and tag != "I":
            score = min(tagger.marginal(tags[j], j) for j in range(start, k))
            out.append((score, start, k))
            start = None
        if tag == "B":
            start = k
    return out


def _apart(run: Sequence[Morpheme], spans: Sequence[NameSpan]) -> bool:
    ends = ("助詞", "助動詞", "補助記号", "記号")
    a, b = run[0].start, run[-1].end
    return (
        run[0].pos[0] not in ends
        and run[-1].pos[0] not in ends
        and not any(m.space_before for m in run[1:])
        and all(b <= s.start or a >= s.end for s in spans)
    )


def with_crf(tagged: Tagged | None, minimum: float, filtered: bool, additive: bool = False) -> None:
    """Route ``find_names`` through the rules plus the CRF (None: the rules alone)."""

    def find(morphemes: Sequence[Morpheme]) -> list[NameSpan]:
        spans = _RULES(morphemes)
        if tagged is None:
            return spans
        extra = []
        for score, a, b in tagged.raw(morphemes, spans):
            if score >= minimum and (not filtered or _plausible(morphemes[a:b])):
                if additive and not _apart(morphemes[a:b], spans):
                    continue
                extra.append(
                    NameSpan(COMPANY, morphemes[a].start, morphemes[b - 1].end, score, "crf")
                )
        return names._drop_contained(spans + extra)

    names.find_names = find


def crf_cpu_ms(tagger: Any, feats: Featurizer, engine: SudachiNlpEngine) -> float:
    from cases import EMAIL_1000

    morphemes = engine.tokenize(normalize(EMAIL_1000).text)
    spans = _RULES(morphemes)
    feats._cache.clear()
    samples = []
    for _ in range(150):
        started = time.thread_time()
        crf_raw(tagger, feats, morphemes, spans)
        samples.append((time.thread_time() - started) * 1000)
    return sorted(samples)[len(samples) // 2]


def decoder_cpu_ms(
    model: Path,
    feats: Featurizer,
    engine: SudachiNlpEngine,
    tagger: Any,
    rows: list[dict[str, Any]],
) -> str:
    """The plain-Python decoder's CPU on the e-mail, and whether its tags are crfsuite's."""
    from cases import EMAIL_1000
    from crf_decoder import Decoder

    decoder = Decoder(model, feats)
    differ = 0
    for row in rows[:300]:
        morphemes = engine.tokenize(normalize(row["text"]).text)
        differ += decoder.tags(morphemes) != list(tagger.tag(feats.rows(morphemes)))
    morphemes = engine.tokenize(normalize(EMAIL_1000).text)
    samples = []
    for _ in range(150):
        started = time.thread_time()
        decoder.tagged(morphemes)
        samples.append((time.thread_time() - started) * 1000)
    return f"{sorted(samples)[75]:.2f} ms, tags differ in {differ} of 300 texts"


def _figures(q: dict[str, dict[str, float]]) -> str:
    c, p = q["COMPANY"], q["PERSON"]
    return (
        f"COMPANY covered {100 * c['covered']:.1f}% on-gold {100 * c['reported_on_gold']:.1f}% "
        f"| PERSON covered {100 * p['covered']:.1f}% on-gold {100 * p['reported_on_gold']:.1f}%"
    )


def main() -> None:
    import pycrfsuite

    from redaction.engine import Redactor
    from redaction.profile import RedactionProfile

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dev", type=Path, default=DEV)
    parser.add_argument("--only", nargs="*", help="candidate letters (A B …)")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.dev.read_text(encoding="utf-8").splitlines()]
    tune, check = _halves(rows)
    inner_a = [r for r in tune if zlib.adler32(r["id"].encode()) % 2 == 0]
    inner_b = [r for r in tune if zlib.adler32(r["id"].encode()) % 2 == 1]
    redactor = Redactor.build()
    profile = RedactionProfile()
    engine = SudachiNlpEngine(languages=["ja"])
    engine.load()
    tokens_a, tokens_tune = _tokens(inner_a, engine), _tokens(tune, engine)

    def analyze(text: str) -> list[tuple[str, int, int]]:
        return [(e.type.value, e.start, e.end) for e in redactor.analyze(text, profile)]

    with_crf(None, 0, False)
    rules_b = quality(analyze, inner_b)
    rules_check = quality(analyze, check)
    print(f"tune-B, rules alone: {_figures(rules_b)}", flush=True)
    print(f"CHECK, rules alone: {_figures(rules_check)}", flush=True)
    floor = rules_b["COMPANY"]["reported_on_gold"] - 0.005
    for c in CANDIDATES:
        if args.only and c.name.split()[0] not in args.only:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            model = Path(tmp) / "company.crfsuite"
            started = time.perf_counter()
            feats = train(c, tokens_a, model)
            tagger = pycrfsuite.Tagger()
            tagger.open(str(model))
            tagged = Tagged(tagger, feats)
            best, best_cover = (THRESHOLDS[-1], True), -1.0
            for filtered in (False, True):
                for minimum in THRESHOLDS:
                    with_crf(tagged, minimum, filtered, c.additive)
                    q = quality(analyze, inner_b)
                    print(
                        f"  {c.name}: tune-B >= {minimum} filter={filtered}: {_figures(q)}",
                        flush=True,
                    )
                    ok = q["COMPANY"]["reported_on_gold"] >= floor
                    if ok and q["COMPANY"]["covered"] > best_cover:
                        best, best_cover = (minimum, filtered), q["COMPANY"]["covered"]
            feats = train(c, tokens_tune, model)
            tagger = pycrfsuite.Tagger()
            tagger.open(str(model))
            tagged = Tagged(tagger, feats)
            with_crf(tagged, *best, c.additive)
            q_tune = quality(analyze, tune)
            q = quality(analyze, check)
            cpu = crf_cpu_ms(tagger, feats, engine)
            own = (
                ""
                if c.rules
                else f" (own decoder {decoder_cpu_ms(model, feats, engine, tagger, tune)})"
            )
            size = model.stat().st_size / 1024
            print(
                f"RESULT {c.name} (>= {best[0]}, filter={best[1]}): tune {100 * q_tune['COMPANY']['covered']:.1f}% "
                f"| CHECK {_figures(q)} | CRF CPU {cpu:.2f} ms/e-mail{own} | {size:.0f} KiB "
                f"| {time.perf_counter() - started:.0f} s",
                flush=True,
            )


if __name__ == "__main__":
    main()
