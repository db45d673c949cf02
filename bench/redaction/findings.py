"""Findings of the analyser on every bench text, to prove a speed-up changes none (issue 18).

    uv run python bench/redaction/findings.py --out /tmp/after.json [--repo /other/checkout]
    uv run python bench/redaction/findings.py --diff /tmp/before.json /tmp/after.json

Dumps (type, start, end, score) of every finding of ``--repo``'s analyser (default: this
checkout) on: every text of the Japanese dev set (``shared/data/ner-ja-dev.jsonl``), every
document of the English dev set (``english/dev.txt``), the generated structured cases and
customer variants, and the timing e-mails of ``speed.py`` — with the default profile and with
the company model on (``company_model=True``; the dev set only, it is the slow path).
``--diff`` prints how many texts differ and the first few differences.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def _texts() -> dict[str, list[str]]:
    """The texts, taken from this checkout's bench (the same for every checkout compared)."""
    sys.path.insert(0, str(HERE))
    import cases
    import english
    from speed import DEV

    ja = [json.loads(line)["text"] for line in DEV.read_text(encoding="utf-8").splitlines()]
    variants = [
        f"{v}様より連絡がありました。"
        for name, alias, kana in cases.customers()
        for v in cases.customer_variants(name, alias, kana)
    ]
    return {
        "ja-dev": ja,
        "en-dev": [doc.text for doc in english.parse()],
        "structured": [c.text for c in cases.structured_cases()],
        "variants": variants,
        "mails": [cases.EMAIL_1000, cases.DENSE_MAIL, cases.DENSE_MAIL * 3],
    }


def worker(repo: Path, texts: dict[str, list[str]]) -> dict[str, Any]:
    sys.path[:0] = [str(repo)]
    from redaction.engine import Redactor
    from redaction.profile import RedactionProfile

    redactor = Redactor.build()
    plain, company = RedactionProfile(), RedactionProfile(company_model=True)
    out: dict[str, Any] = {}
    for name, group in texts.items():
        out[name] = [
            [(e.type.value, e.start, e.end, round(e.score, 6)) for e in redactor.analyze(t, plain)]
            for t in group
        ]
    out["ja-dev+company"] = [
        [(e.type.value, e.start, e.end, round(e.score, 6)) for e in redactor.analyze(t, company)]
        for t in texts["ja-dev"]
    ]
    return out


def diff(before: Path, after: Path, show: int = 8) -> int:
    a, b = (json.loads(p.read_text(encoding="utf-8")) for p in (before, after))
    differ = 0
    for name in a:
        for i, (x, y) in enumerate(zip(a[name], b[name], strict=True)):
            if x != y:
                differ += 1
                if differ <= show:
                    print(f"{name}[{i}]: only before {[f for f in x if f not in y]}")
                    print(f"{' ' * len(name)}    only after  {[f for f in y if f not in x]}")
    total = sum(len(v) for v in a.values())
    print(f"{total} texts compared; findings differ in {differ}")
    return 1 if differ else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repo", type=Path, default=ROOT, help="the checkout to analyse with")
    parser.add_argument("--out", type=Path, help="where to write the findings (JSON)")
    parser.add_argument("--diff", type=Path, nargs=2, metavar=("BEFORE", "AFTER"))
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.diff:
        return diff(*args.diff)
    if args.worker:
        print(json.dumps(worker(args.worker, json.loads(sys.stdin.read()))))
        return 0
    if args.out is None:
        parser.error("--out or --diff is required")
    cmd = [sys.executable, __file__, "--worker", str(args.repo.resolve())]
    done = subprocess.run(
        cmd, input=json.dumps(_texts()), capture_output=True, text=True, check=True
    )
    args.out.write_text(done.stdout.strip().splitlines()[-1], encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
