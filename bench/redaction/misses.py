"""Company misses on the dev file's *tune* half, for error analysis (issue 13).

    uv run --group bench python bench/redaction/misses.py --dev ../shared/data/ner-ja-dev.jsonl
    uv run --group bench python bench/redaction/misses.py --half check   # figures only

With ``--half tune`` (the default) prints the figures of run.py for that half, then each 法人名
not fully covered (with 25 characters either side and the spans over it) and each COMPANY span
that overlaps no gold entity. The check half is only ever scored: ``--half check`` prints its
figures and nothing else, so rules are never written from its sentences. The halves and the
figures are run.py's own (``_halves``, ``quality``).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from run import DEV, ROOT, Span, _halves, load_ours, quality


def _around(text: str, start: int, end: int) -> str:
    return f"{text[max(0, start - 25) : start]}【{text[start:end]}】{text[end : end + 25]}"


def report(rows: list[dict[str, Any]], found: dict[str, list[Span]], listing: bool) -> None:
    figures = quality(lambda text: found[text], rows)
    for kind, q in figures.items():
        print(
            f"{kind}: covered {100 * q['covered']:.2f}%, on gold "
            f"{100 * q['reported_on_gold']:.2f}%, gold {q['gold']}, reported {q['reported']}"
        )
    if not listing:
        return
    for row in rows:
        text, spans = row["text"], found[row["text"]]
        for e in row["entities"]:
            if e["label"] == "法人名" and not any(
                s <= e["start"] and t >= e["end"] for _, s, t in spans
            ):
                over = [text[s:t] for _, s, t in spans if s < e["end"] and t > e["start"]]
                print("MISS", row["id"], _around(text, e["start"], e["end"]), over)
    for row in rows:
        text = row["text"]
        for kind, s, t in found[text]:
            if kind == "COMPANY" and not any(
                s < e["end"] and t > e["start"] for e in row["entities"]
            ):
                print("FP", row["id"], _around(text, s, t))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dev", type=Path, default=DEV)
    parser.add_argument("--half", choices=["tune", "check"], default="tune")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from cases import customers

    rows = [json.loads(line) for line in args.dev.read_text(encoding="utf-8").splitlines()]
    tune, check = _halves(rows)
    chosen = tune if args.half == "tune" else check
    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "customers.csv"
        csv_path.write_text(
            "name,aliases,kana\n" + "".join(f"{n},{a},{k}\n" for n, a, k in customers()),
            encoding="utf-8",
        )
        analyze = load_ours(csv_path)
        found = {row["text"]: analyze(row["text"]) for row in chosen}
    report(chosen, found, listing=args.half == "tune")


if __name__ == "__main__":
    main()
