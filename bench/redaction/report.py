"""The redaction benchmark's results as Markdown: the side-by-side table, ours on the tune and
check halves, the definitions; written to bench/redaction/RESULTS.md and, with NOTES.md, into
the Redaction section of docs/benchmarks.md. ``run.py`` measures; this module only words.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DOCS = HERE.parents[1] / "docs" / "benchmarks.md"
COMMAND = "uv run --group bench python bench/redaction/run.py"


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


NOTES = """Definitions. *Fully covered*: the gold name lies inside one reported span of any type
(what matters for leakage). *Overlapping a gold entity*: a reported COMPANY/CUSTOMER (or PERSON)
span overlaps a gold entity of any label (a span over a 製品名 or 施設名 is still a name, not noise).
Exact/overlap P/R/F1 count only same-kind gold (法人名 for COMPANY, 人名 for PERSON), so their
precision is low by design: we also redact organisations, brands and works that Sudachi tags
as proper nouns. Baseline: `AnalyzerEngine` with the spaCy engine on `ja_ginza` and its default
registry (tldextract pinned to its bundled suffix list); its labels are mapped to ours. Timing
varies with other work on the shared 2-core machine."""


def report(results: list[dict[str, Any]]) -> str:
    names = {"ours": "Kakehashi (Sudachi + rules)", "ginza": "Presidio + ja_ginza (out of the box)"}
    head = "| figure | " + " | ".join(names[r["system"]] for r in results) + " |"
    lines = [
        "# Redaction benchmark",
        "",
        f"Command: `{COMMAND}` (each system in its own process, pinned to one CPU; "
        "dev set `../shared/data/ner-ja-dev.jsonl`).",
        "",
        head,
        "| --- |" + " --- |" * len(results),
    ]

    def row(label: str, fn: Callable[[dict[str, Any]], str]) -> None:
        lines.append(f"| {label} | " + " | ".join(fn(r) for r in results) + " |")

    for kind, label in (("COMPANY", "法人名 COMPANY"), ("PERSON", "人名 PERSON")):
        row(
            f"{label}: gold names fully covered by a redaction span",
            lambda r, k=kind: _pct(r["quality"][k]["covered"]),
        )
        row(
            f"{label}: reported spans overlapping a gold entity",
            lambda r, k=kind: _pct(r["quality"][k]["reported_on_gold"]),
        )
        for m in ("exact", "overlap"):
            row(
                f"{label}: {m} P / R / F1",
                lambda r, k=kind, m=m: " / ".join(
                    f"{r['quality'][k][f'{m}_{x}']:.3f}" for x in ("p", "r", "f1")
                ),
            )
        row(
            f"{label}: gold / reported",
            lambda r, k=kind: f"{r['quality'][k]['gold']} / {r['quality'][k]['reported']}",
        )
    kinds = sorted({k for r in results for k in r["structured"]})
    for kind in kinds:
        row(
            f"{kind}: valid found",
            lambda r, k=kind: "{valid_found}/{valid}".format(**r["structured"][k]),
        )
        if any(r["structured"][kind]["invalid"] for r in results):
            row(
                f"{kind}: invalid check digit reported",
                lambda r, k=kind: "{invalid_found}/{invalid}".format(**r["structured"][k]),
            )
    row(
        "listed customers (variants) found", lambda r: "{found}/{variants}".format(**r["customers"])
    )
    row("1,000-char e-mail p50 (ms, one core)", lambda r: f"{r['speed']['p50_ms']:.1f}")
    row("1,000-char e-mail p99 (ms, one core)", lambda r: f"{r['speed']['p99_ms']:.1f}")
    row(
        "1,000-char e-mail CPU time p50 (ms, calling thread)",
        lambda r: f"{r['speed']['cpu_p50_ms']:.1f}",
    )
    row("load average during the speed run", lambda r: f"{r['speed']['load_avg']:.1f}")
    row("load time (s, imports included)", lambda r: f"{r['load_s']:.1f}")
    row("RSS after run / peak (MB)", lambda r: f"{r['rss_mb']:.0f} / {r['peak_rss_mb']:.0f}")
    ours = next((r for r in results if r["system"] == "ours"), None)
    if ours:
        lines += [
            "",
            "Ours on the two halves of the dev file (rules were inspected on *tune* errors only):",
            "",
        ]
        lines += [
            "| half | COMPANY covered | COMPANY on gold | PERSON covered | PERSON on gold |",
            "| --- | --- | --- | --- | --- |",
        ]
        for half in ("tune", "check", ""):
            q = ours[f"quality_{half}" if half else "quality"]
            lines.append(
                f"| {half or 'full file'} | {_pct(q['COMPANY']['covered'])} "
                f"| {_pct(q['COMPANY']['reported_on_gold'])} "
                f"| {_pct(q['PERSON']['covered'])} | {_pct(q['PERSON']['reported_on_gold'])} |"
            )
        gaps = {
            f"{kind} {figure}": abs(
                ours["quality_tune"][kind][figure] - ours["quality_check"][kind][figure]
            )
            for kind in ("COMPANY", "PERSON")
            for figure in ("covered", "reported_on_gold")
        }
        worst = max(gaps, key=lambda k: gaps[k])
        lines += [
            "",
            f"The halves differ by at most {100 * gaps[worst]:.1f} points ({worst}); "
            + ", ".join(f"{k}: {100 * v:.1f}" for k, v in gaps.items())
            + ".",
        ]
    return "\n".join([*lines, "", NOTES]) + "\n"


def write_docs(text: str) -> None:
    """Replace the Redaction section of docs/benchmarks.md with this run's report."""
    body = text.split("\n", 2)[2]  # drop the report's own title
    notes = (HERE / "NOTES.md").read_text(encoding="utf-8").strip()
    replace_section("Redaction", f"Issue 4.\n\n{body.strip()}\n\n{notes}")


def replace_section(heading: str, body: str) -> None:
    """Replace the ``## heading`` section of docs/benchmarks.md (up to the next ``## ``) with
    ``body``, or append it; the other sections stay as they are."""
    section = f"## {heading}\n\n{body.strip()}\n\n"
    docs = DOCS.read_text(encoding="utf-8")
    pattern = re.compile(rf"^## {re.escape(heading)}\n.*?(?=^## |\Z)", re.DOTALL | re.MULTILINE)
    if pattern.search(docs):
        docs = pattern.sub(lambda _: section, docs, count=1)
    else:
        docs = docs.rstrip("\n") + "\n\n" + section
    DOCS.write_text(docs.rstrip("\n") + "\n", encoding="utf-8")
