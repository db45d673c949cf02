"""Build the company span model (``redaction/data/company_spans.json``) from the tune half.

    uv run --group bench python bench/redaction/build_company_spans.py --dev PATH [--check]

Deterministic: the same tune half, features and parameters give the same file (crfsuite's
L-BFGS has no randomness; weights are rounded to six decimals and written sorted). Honest
split: the threshold is chosen on an inner split of the tune half (trained on tune-A, the best
COMPANY coverage on tune-B whose reported-on-gold stays within half a point of the rules' own),
then the model is trained on the whole tune half. The check half is never read here: score it
with ``bench/redaction/run.py``. ``--check`` rebuilds in memory and compares with the file.
The setting (every organisation label, c1 = 1, c2 = 0.1, surfaces seen in five sentences) was
chosen among those of ``company_spans.py`` on tune-B (docs/benchmarks.md, "Redaction").
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))

from company_spans import ORG_LABELS, THRESHOLDS, Setting, _tokens, patch, train  # noqa: E402
from run import DEV, _halves, quality  # noqa: E402

from redaction.company_spans import MODEL, SpanModel  # noqa: E402
from redaction.nlp import SudachiNlpEngine  # noqa: E402

SETTING = Setting("S all orgs, c1=1 c2=0.1", ORG_LABELS, 1.0, 0.1)


def serialise(model: SpanModel, setting: Setting) -> str:
    data = {
        "about": "bench/redaction/build_company_spans.py; see redaction/company_spans.py",
        "setting": {
            "labels": sorted(setting.labels),
            "c1": setting.c1,
            "c2": setting.c2,
            "min_docs": setting.min_docs,
        },
        "threshold": model.threshold,
        "vocabulary": sorted(model.featurizer.vocabulary),
        # A weight of zero (after rounding) never moves a score.
        "weights": {k: w for k, w in sorted(model.weights.items()) if w != 0.0},
    }
    return json.dumps(data, ensure_ascii=False, indent=0, sort_keys=False) + "\n"


def main() -> int:
    from redaction.engine import Redactor
    from redaction.profile import RedactionProfile

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dev", type=Path, default=DEV)
    parser.add_argument("--check", action="store_true", help="rebuild and compare, write nothing")
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.dev.read_text(encoding="utf-8").splitlines()]
    tune, _ = _halves(rows)
    engine = SudachiNlpEngine(languages=["ja"])
    engine.load()
    tokens_tune = _tokens(tune, engine)
    if args.check:
        shipped = json.loads(MODEL.read_text(encoding="utf-8"))
        built = serialise(train(SETTING, tokens_tune, shipped["threshold"], quiet=True), SETTING)
        same = built == MODEL.read_text(encoding="utf-8")
        print(f"rebuilt {hashlib.sha256(built.encode()).hexdigest()[:16]}: same={same}")
        return 0 if same else 1
    inner_a = [r for r in tune if zlib.adler32(r["id"].encode()) % 2 == 0]
    inner_b = [r for r in tune if zlib.adler32(r["id"].encode()) % 2 == 1]
    MODEL.parent.mkdir(exist_ok=True)
    if not MODEL.exists():  # the engine reads it at start-up; an empty model finds nothing
        MODEL.write_text(serialise(SpanModel({}, frozenset(), 1.0), SETTING), encoding="utf-8")
    redactor = Redactor.build()
    profile = RedactionProfile(company_model=False)

    def analyze(text: str) -> list[tuple[str, int, int]]:
        return [(e.type.value, e.start, e.end) for e in redactor.analyze(text, profile)]

    patch(None, 0)
    rules = quality(analyze, inner_b)["COMPANY"]
    print(
        f"tune-B rules alone: covered {rules['covered']:.3f} on-gold {rules['reported_on_gold']:.3f}"
    )
    model = train(SETTING, _tokens(inner_a, engine))
    best, best_cover = THRESHOLDS[-1], -1.0
    for threshold in THRESHOLDS:
        patch(model, threshold)
        got = quality(analyze, inner_b)["COMPANY"]
        print(
            f"tune-B with the model >= {threshold}: covered {got['covered']:.3f} "
            f"on-gold {got['reported_on_gold']:.3f}"
        )
        floor = rules["reported_on_gold"] - 0.005
        if got["reported_on_gold"] >= floor and got["covered"] > best_cover:
            best, best_cover = threshold, got["covered"]
    MODEL.write_text(serialise(train(SETTING, tokens_tune, best), SETTING), encoding="utf-8")
    print(f"wrote {MODEL} ({MODEL.stat().st_size / 1024:.0f} KiB); threshold chosen: {best}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
