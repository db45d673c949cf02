"""COMPANY and PERSON on the dev file's halves, the name rules alone and with the company model.

    uv run --group bench python bench/redaction/model_halves.py --dev PATH

One process, the same engine, the two profiles (``company_model`` off and on); the figures of
``run.py`` (fully covered, reported spans overlapping a gold entity) on tune, check and the file.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE))

from run import DEV, _halves, quality  # noqa: E402


def main() -> None:
    from redaction.engine import Redactor
    from redaction.profile import RedactionProfile

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dev", type=Path, default=DEV)
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.dev.read_text(encoding="utf-8").splitlines()]
    tune, check = _halves(rows)
    redactor = Redactor.build()
    for on in (False, True):
        profile = RedactionProfile(company_model=on)

        def analyze(text: str, profile: RedactionProfile = profile) -> list[tuple[str, int, int]]:
            return [(e.type.value, e.start, e.end) for e in redactor.analyze(text, profile)]

        for name, half in (("tune", tune), ("check", check), ("file", rows)):
            q = quality(analyze, half)
            c, p = q["COMPANY"], q["PERSON"]
            print(
                f"{'with the model' if on else 'rules alone   '} {name:5}: COMPANY covered "
                f"{100 * c['covered']:.1f}% on gold {100 * c['reported_on_gold']:.1f}% "
                f"({c['reported']} spans) | PERSON covered {100 * p['covered']:.1f}% "
                f"on gold {100 * p['reported_on_gold']:.1f}%",
                flush=True,
            )


if __name__ == "__main__":
    main()
