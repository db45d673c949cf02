"""CPU per 1,000 characters of dense business text, this checkout beside another (issue 18).

    uv run python bench/redaction/speed.py --against /path/to/other/checkout

Each checkout's analyser runs in its own subprocess (rounds alternate, so drift in the load
of a shared machine hits both alike) on the bench's 1,000-character e-mail (``EMAIL_1000``)
and a denser ~1,400-character sales e-mail (``DENSE_MAIL``); reported: the calling thread's
CPU time per 1,000 characters, p50 and p99 over the runs, median over rounds. With
``--same``, both checkouts also analyse every text of the dev set (and the two e-mails) and
the findings (type, span, score) are compared: a speed-up must not change a single one.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
# Beside the checkout (as run.py expects), or beside the folder of worktrees.
DEV = (
    next(
        (
            p
            for p in (ROOT.parent, ROOT.parents[1])
            if (p / "shared/data/ner-ja-dev.jsonl").exists()
        ),
        ROOT.parent,
    )
    / "shared/data/ner-ja-dev.jsonl"
)


def worker(repo: Path, runs: int, texts: dict[str, str]) -> dict[str, Any]:
    sys.path[:0] = [str(repo)]
    from redaction.engine import Redactor
    from redaction.profile import RedactionProfile

    redactor, profile = Redactor.build(), RedactionProfile()
    out: dict[str, Any] = {}
    if runs == 0:  # --same: the findings of every text
        every = [json.loads(line)["text"] for line in DEV.read_text(encoding="utf-8").splitlines()]
        found = [redactor.analyze(t, profile) for t in [*every, *texts.values()]]
        out["findings"] = [[(e.type.value, e.start, e.end, e.score) for e in f] for f in found]
        return out
    for name, text in texts.items():
        for _ in range(20):
            redactor.analyze(text, profile)
        per_k = []
        for _ in range(runs):
            started = time.thread_time()
            redactor.analyze(text, profile)
            per_k.append((time.thread_time() - started) * 1000 * 1000 / len(text))
        per_k.sort()
        out[name] = {"p50": statistics.median(per_k), "p99": per_k[int(len(per_k) * 0.99) - 1]}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--against", type=Path, help="another checkout to compare with")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=150)
    parser.add_argument("--same", action="store_true", help="compare findings on the dev set")
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.runs, json.loads(sys.stdin.read()))))
        return 0
    sys.path.insert(0, str(HERE))
    import cases  # the same texts for every checkout: this one's

    texts = json.dumps({"EMAIL_1000": cases.EMAIL_1000, "DENSE_MAIL": cases.DENSE_MAIL})
    repos = {"this checkout": ROOT} | ({"against": args.against} if args.against else {})
    if args.same:
        findings = []
        for repo in repos.values():
            cmd = [sys.executable, __file__, "--worker", str(repo), "--runs", "0"]
            done = subprocess.run(cmd, input=texts, capture_output=True, text=True, check=True)
            findings.append(json.loads(done.stdout.strip().splitlines()[-1])["findings"])
        differ = sum(a != b for a, b in zip(*findings, strict=True)) if len(findings) > 1 else 0
        print(f"{len(findings[0])} texts analysed; findings differ in {differ}")
    got: dict[str, list[dict[str, Any]]] = {name: [] for name in repos}
    for _ in range(args.rounds):
        for name, repo in repos.items():
            cmd = [sys.executable, __file__, "--worker", str(repo), "--runs", str(args.runs)]
            done = subprocess.run(cmd, input=texts, capture_output=True, text=True, check=True)
            got[name].append(json.loads(done.stdout.strip().splitlines()[-1]))
    print("| checkout | text | CPU ms per 1,000 chars p50 | p99 |\n| --- | --- | ---: | ---: |")
    for name, rounds in got.items():
        for text in rounds[0]:
            p50 = statistics.median(r[text]["p50"] for r in rounds)
            p99 = statistics.median(r[text]["p99"] for r in rounds)
            print(f"| {name} | {text} | {p50:.1f} | {p99:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
