"""COMPANY and PERSON on the dev file's halves, the name rules alone and with the company model.

    uv run --group bench python bench/redaction/model_halves.py --dev PATH [--speed]

One process, the same engine, the two profiles (``company_model`` off and on); the figures of
``run.py`` (fully covered, reported spans overlapping a gold entity) on tune, check and the file.
``--speed``: instead, CPU time of the calling thread per analysis of the bench's 1,000-character
e-mail and the dense sales e-mail, pinned to one core, the two profiles interleaved run by run
(300 each after warm-up): p50 and p99 and the ratio of the p50s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
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
    parser.add_argument("--speed", action="store_true")
    args = parser.parse_args()
    if args.speed:
        speed()
        return
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


def speed(runs: int = 300) -> None:
    from cases import DENSE_MAIL, EMAIL_1000

    from redaction.engine import Redactor
    from redaction.profile import RedactionProfile

    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[-1]})
    redactor = Redactor.build()
    profiles = {
        "rules alone": RedactionProfile(company_model=False),
        "with the model": RedactionProfile(company_model=True),
    }
    for label, text in (("e-mail", EMAIL_1000), ("dense", DENSE_MAIL)):
        cpu: dict[str, list[float]] = {name: [] for name in profiles}
        for _ in range(30):
            for profile in profiles.values():
                redactor.analyze(text, profile)
        for _ in range(runs):
            for name, profile in profiles.items():
                started = time.thread_time()
                redactor.analyze(text, profile)
                cpu[name].append((time.thread_time() - started) * 1000 * 1000 / len(text))
        p50 = {name: statistics.median(v) for name, v in cpu.items()}
        for name, v in cpu.items():
            v.sort()
            print(
                f"{label} ({len(text)} chars) {name}: CPU per 1,000 chars p50 {p50[name]:.2f} ms "
                f"p99 {v[int(len(v) * 0.99) - 1]:.2f} ms"
            )
        ratio = p50["with the model"] / p50["rules alone"]
        print(f"{label}: ratio of p50s {ratio:.3f}; load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
