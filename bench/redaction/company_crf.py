"""Experiment (issue 13): does a small CRF over Sudachi morphemes earn its cost for COMPANY?

    uv run --group bench python bench/redaction/company_crf.py [--dev PATH]

Not part of the product. A linear-chain CRF (python-crfsuite) tags B/I/O for 法人名 over the
morphemes the engine sees at run time (normalised text, ``SudachiNlpEngine``), with the
features the rules use (surface, part of speech, script, dictionary flags, company and person
word lists) for each morpheme and its neighbours up to two away. Its spans are added to the
rules' spans (the longest wins where they overlap), as a recognizer would.

The split stays honest: the threshold on the tagger's confidence (the least marginal
probability over a span's tags) is chosen on an inner split of the TUNE half (model trained
on tune-A, chosen on tune-B, the threshold with the best coverage whose COMPANY
reported-on-gold does not fall below the rules' own); the model is then retrained on the
whole tune half and measured once on the CHECK half, with the CPU time per 1,000-character
e-mail beside the rules alone, in one process.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))

from run import DEV, _halves, quality  # noqa: E402

import redaction.names as names  # noqa: E402
from redaction.lexicon import (  # noqa: E402
    COMPANY_CONTEXT,
    COMPANY_SUFFIXES,
    LEGAL_FORM_RE,
    NAME_STOPS,
    NEXT_TO_COMPANY,
    ORG_SUFFIXES,
    PERSON_SUFFIXES,
)
from redaction.name_tokens import COMPANY, NameSpan  # noqa: E402
from redaction.nlp import Morpheme, SudachiNlpEngine  # noqa: E402
from redaction.normalize import normalize  # noqa: E402

THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)


def _script(text: str) -> str:
    kinds = set()
    for c in text:
        code = ord(c)
        if 0x3040 <= code <= 0x309F:
            kinds.add("h")
        elif 0x30A0 <= code <= 0x30FF:
            kinds.add("k")
        elif 0x4E00 <= code <= 0x9FFF or c in "々ヶ":
            kinds.add("c")
        elif c.isascii() and c.isalpha():
            kinds.add("U" if c.isupper() else "l")
        elif c.isdigit():
            kinds.add("d")
        else:
            kinds.add("s")
    return "".join(sorted(kinds))


def _own(m: Morpheme) -> list[str]:
    s = m.surface
    flags = {
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
    return [
        f"w={s}",
        f"p={'/'.join(m.pos[:4])}",
        f"p1={m.pos[1]}",
        f"t={_script(s)}",
        f"n={min(len(s), 6)}",
        f"last={s[-1:]}",
        f"first={s[:1]}",
        *(name for name, on in flags.items() if on),
    ]


def features(morphemes: Sequence[Morpheme]) -> list[list[str]]:
    context = any(m.surface in COMPANY_CONTEXT for m in morphemes)
    own = [_own(m) for m in morphemes]
    n = len(morphemes)
    out = []
    for i in range(n):
        row = list(own[i])
        row += [f"-1:{f}" for f in own[i - 1][:4]] if i else ["-1:edge"]
        row += [f"+1:{f}" for f in own[i + 1][:4]] if i + 1 < n else ["+1:edge"]
        for d in (-2, 2):
            j = i + d
            row += [f"{d}:{f}" for f in own[j][:3]] if 0 <= j < n else [f"{d}:edge"]
        if context:
            row.append("company-text")
        out.append(row)
    return out


def _labels(row: dict[str, Any], morphemes: list[Morpheme], starts: Sequence[int]) -> list[str]:
    gold = []
    for e in row["entities"]:
        inside = [i for i, s in enumerate(starts) if e["start"] <= s < e["end"]]
        if e["label"] == "法人名" and inside:
            gold.append((inside[0], inside[-1] + 1))
    labels = []
    for m in morphemes:
        tag = "O"
        for start, end in gold:
            if m.start <= start < m.end:
                tag = "B"
            elif start < m.start < end:
                tag = "I"
        labels.append(tag)
    return labels


def train(rows: list[dict[str, Any]], engine: SudachiNlpEngine, path: Path) -> None:
    import pycrfsuite  # type: ignore[import-untyped]

    trainer = pycrfsuite.Trainer(verbose=False)
    for row in rows:
        mapped = normalize(row["text"])
        morphemes = engine.tokenize(mapped.text)
        trainer.append(features(morphemes), _labels(row, morphemes, mapped.starts))
    params = {"c1": 0.1, "c2": 0.01, "max_iterations": 150, "feature.minfreq": 2}
    trainer.set_params({**params, "feature.possible_transitions": True})
    trainer.train(str(path))


def crf_spans(tagger: Any, morphemes: Sequence[Morpheme], minimum: float) -> list[NameSpan]:
    if not morphemes:
        return []
    tags = tagger.tag(features(morphemes))
    spans = []
    start = None
    for k, tag in enumerate([*tags, "O"]):
        if start is not None and tag != "I":
            score = min(tagger.marginal(tags[j], j) for j in range(start, k))
            if score >= minimum:
                first, last = morphemes[start], morphemes[k - 1]
                spans.append(NameSpan(COMPANY, first.start, last.end, score, "crf"))
            start = None
        if tag == "B":
            start = k
    return spans


def with_crf(tagger: Any, minimum: float) -> None:
    """Route ``find_names`` through the rules plus the CRF (None: the rules alone)."""
    rules = _RULES

    def find(morphemes: Sequence[Morpheme]) -> list[NameSpan]:
        spans = rules(morphemes)
        if tagger is None:
            return spans
        return names._drop_contained(spans + crf_spans(tagger, morphemes, minimum))

    names.find_names = find


_RULES = names.find_names


def _cpu_ms(analyze: Callable[[str], Any]) -> float:
    from cases import EMAIL_1000

    for _ in range(20):
        analyze(EMAIL_1000)
    samples = []
    for _ in range(150):
        started = time.thread_time()
        analyze(EMAIL_1000)
        samples.append((time.thread_time() - started) * 1000)
    return sorted(samples)[len(samples) // 2]


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
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.dev.read_text(encoding="utf-8").splitlines()]
    tune, check = _halves(rows)
    inner_a = [r for r in tune if zlib.adler32(r["id"].encode()) % 2 == 0]
    inner_b = [r for r in tune if zlib.adler32(r["id"].encode()) % 2 == 1]
    redactor = Redactor.build()
    profile = RedactionProfile()
    engine = SudachiNlpEngine(languages=["ja"])
    engine.load()

    def analyze(text: str) -> list[tuple[str, int, int]]:
        return [(e.type.value, e.start, e.end) for e in redactor.analyze(text, profile)]

    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / "company.crfsuite"
        train(inner_a, engine, model)
        tagger = pycrfsuite.Tagger()
        tagger.open(str(model))
        with_crf(None, 0)
        floor = quality(analyze, inner_b)["COMPANY"]["reported_on_gold"]
        print(f"tune-B, rules alone: {_figures(quality(analyze, inner_b))}")
        best, best_cover = THRESHOLDS[-1], -1.0
        for minimum in THRESHOLDS:
            with_crf(tagger, minimum)
            q = quality(analyze, inner_b)
            print(f"tune-B, rules + CRF >= {minimum}: {_figures(q)}")
            ok = q["COMPANY"]["reported_on_gold"] >= floor
            if ok and q["COMPANY"]["covered"] > best_cover:
                best, best_cover = minimum, q["COMPANY"]["covered"]
        train(tune, engine, model)
        tagger = pycrfsuite.Tagger()
        tagger.open(str(model))
        print(f"model trained on the tune half: {model.stat().st_size / 1024:.0f} KiB")
        for label, current in (("rules alone", None), (f"rules + CRF >= {best}", tagger)):
            with_crf(current, best)
            q = quality(analyze, check)
            print(f"CHECK, {label}: {_figures(q)}; CPU p50 {_cpu_ms(analyze):.1f} ms/e-mail")


if __name__ == "__main__":
    main()
