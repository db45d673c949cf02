"""Redaction benchmark: quality and speed, ours beside Presidio + GiNZA out of the box.

    uv run --group bench python bench/redaction/run.py

Each system runs in its own subprocess (so load time and RSS are its own), pinned to one CPU.
Quality: COMPANY (法人名) and PERSON (人名) on the NER dev set, exact-span and overlap P/R/F1,
the fraction of gold names fully covered by any redaction span, and the fraction of reported
name spans overlapping any gold entity; generated structured identifiers (valid ones must all be
found, invalid check digits must not) and listed customers with variants. Speed: p50/p99 of a
1,000-character Japanese business e-mail after warm-up (wall clock, and the CPU time of the
calling thread, which other work on a shared machine does not inflate). Writes
bench/redaction/RESULTS.md and the Redaction section of docs/benchmarks.md (``report.py``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import types
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from report import report, write_docs

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DEV = ROOT.parent / "shared" / "data" / "ner-ja-dev.jsonl"
GOLD = {"人名": "PERSON", "法人名": "COMPANY"}
# Presidio's labels mapped to ours, for the baseline.
PRESIDIO_TYPES = {
    "PERSON": "PERSON",
    "ORGANIZATION": "COMPANY",
    "ORG": "COMPANY",
    "LOCATION": "LOCATION",
    "GPE": "LOCATION",
    "EMAIL_ADDRESS": "EMAIL",
    "PHONE_NUMBER": "PHONE",
    "CREDIT_CARD": "CREDIT_CARD",
}
Span = tuple[str, int, int]
Analyze = Callable[[str], list[Span]]


def _pin_one_cpu() -> None:
    cpus = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpus[-1]})


def _rss_mb() -> tuple[float, float]:
    status = Path("/proc/self/status").read_text()
    values = {
        line.split(":")[0]: int(line.split()[1]) / 1024
        for line in status.splitlines()
        if line.startswith(("VmRSS", "VmHWM"))
    }
    return values["VmRSS"], values["VmHWM"]


def load_ours(customers_csv: Path | None) -> Analyze:
    from redaction.engine import Redactor
    from redaction.profile import RedactionProfile

    redactor = Redactor.build()
    profile = RedactionProfile(customers_csv=customers_csv)

    def analyze(text: str) -> list[Span]:
        return [(e.type.value, e.start, e.end) for e in redactor.analyze(text, profile)]

    return analyze


def load_presidio_ginza() -> Analyze:
    import tldextract
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_analyzer.predefined_recognizers.generic import email_recognizer

    # Pin tldextract to its bundled suffix list: otherwise it downloads one at first use.
    offline = tldextract.TLDExtract(suffix_list_urls=())
    email_recognizer.tldextract = types.SimpleNamespace(extract=offline)
    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "ja", "model_name": "ja_ginza"}],
        }
    )
    engine = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["ja"])

    def analyze(text: str) -> list[Span]:
        return [
            (PRESIDIO_TYPES.get(r.entity_type, r.entity_type), r.start, r.end)
            for r in engine.analyze(text=text, language="ja")
        ]

    return analyze


def _ratio(a: int, b: int) -> float:
    return a / b if b else 0.0


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def quality(analyze: Analyze, rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    found = [analyze(row["text"]) for row in rows]
    for kind in ("COMPANY", "PERSON"):
        reported_kinds = {"COMPANY", "CUSTOMER"} if kind == "COMPANY" else {kind}
        c: dict[str, int] = dict.fromkeys(
            ("gold", "rep", "tp_exact", "rec_exact", "rec_ov", "prec_ov", "covered", "ov_any"), 0
        )
        for row, spans in zip(rows, found, strict=True):
            gold = [(e["start"], e["end"]) for e in row["entities"] if GOLD.get(e["label"]) == kind]
            every = [(e["start"], e["end"]) for e in row["entities"]]
            mine = [(s, e) for t, s, e in spans if t in reported_kinds]
            c["gold"] += len(gold)
            c["rep"] += len(mine)
            c["tp_exact"] += sum(1 for m in mine if m in gold)
            c["rec_exact"] += sum(1 for g in gold if g in mine)
            c["rec_ov"] += sum(1 for g in gold if any(s < g[1] and e > g[0] for s, e in mine))
            c["prec_ov"] += sum(1 for s, e in mine if any(s < g[1] and e > g[0] for g in gold))
            c["covered"] += sum(
                1 for g in gold if any(s <= g[0] and e >= g[1] for _, s, e in spans)
            )
            c["ov_any"] += sum(1 for s, e in mine if any(s < g[1] and e > g[0] for g in every))
        pe, re_ = _ratio(c["tp_exact"], c["rep"]), _ratio(c["rec_exact"], c["gold"])
        po, ro = _ratio(c["prec_ov"], c["rep"]), _ratio(c["rec_ov"], c["gold"])
        out[kind] = {
            "gold": c["gold"],
            "reported": c["rep"],
            "exact_p": pe,
            "exact_r": re_,
            "exact_f1": _f1(pe, re_),
            "overlap_p": po,
            "overlap_r": ro,
            "overlap_f1": _f1(po, ro),
            "covered": _ratio(c["covered"], c["gold"]),
            "reported_on_gold": _ratio(c["ov_any"], c["rep"]),
        }
    return out


def structured(analyze: Analyze) -> dict[str, dict[str, float]]:
    from cases import structured_cases

    out: dict[str, dict[str, float]] = {}
    for case in structured_cases():
        start = case.text.index(case.value)
        end = start + len(case.value)
        hit = any(t == case.kind and s <= start and e >= end for t, s, e in analyze(case.text))
        row = out.setdefault(
            case.kind, {"valid": 0, "valid_found": 0, "invalid": 0, "invalid_found": 0}
        )
        prefix = "valid" if case.valid else "invalid"
        row[prefix] += 1
        row[f"{prefix}_found"] += hit
    return out


def customer_recall(analyze: Analyze) -> dict[str, float]:
    from cases import customer_variants, customers

    total = hits = 0
    for name, alias, kana in customers():
        for variant in customer_variants(name, alias, kana):
            text = f"明日は{variant}との定例会議です。"
            start, end = 3, 3 + len(variant)
            total += 1
            hits += any(
                t == "CUSTOMER" and s <= start + 4 and e >= end - 4 for t, s, e in analyze(text)
            )
            # (±4 allows a legal form outside the listed spelling: (株)X, X株式会社)
    return {"variants": total, "found": hits}


def speed(analyze: Analyze, runs: int = 300) -> dict[str, float]:
    from cases import EMAIL_1000

    for _ in range(30):
        analyze(EMAIL_1000)
    samples = []
    cpu = []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.thread_time()
        analyze(EMAIL_1000)
        cpu.append((time.thread_time() - started_cpu) * 1000)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "chars": len(EMAIL_1000),
        "p50_ms": statistics.median(samples),
        "p99_ms": samples[int(len(samples) * 0.99) - 1],
        "cpu_p50_ms": statistics.median(cpu),
        "load_avg": os.getloadavg()[0],
    }


def _halves(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The split used while developing: rules were inspected on "tune" errors only (CRC-32 of
    the row id, even: tune; odd: check)."""
    tune = [r for r in rows if zlib.crc32(r["id"].encode()) % 2 == 0]
    check = [r for r in rows if zlib.crc32(r["id"].encode()) % 2 == 1]
    return tune, check


def measure(system: str, dev: Path) -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(ROOT))
    _pin_one_cpu()
    from cases import customers

    with tempfile.TemporaryDirectory() as tmp:
        csv_path = Path(tmp) / "customers.csv"
        csv_path.write_text(
            "name,aliases,kana\n" + "".join(f"{n},{a},{k}\n" for n, a, k in customers()),
            encoding="utf-8",
        )
        started = time.perf_counter()
        analyze = load_ours(csv_path) if system == "ours" else load_presidio_ginza()
        load_s = time.perf_counter() - started
        rows = [json.loads(line) for line in dev.read_text(encoding="utf-8").splitlines()]
        result: dict[str, Any] = {"system": system, "load_s": load_s}
        result["speed"] = speed(analyze)
        result["quality"] = quality(analyze, rows)
        if system == "ours":
            tune, check = _halves(rows)
            result["quality_tune"] = quality(analyze, tune)
            result["quality_check"] = quality(analyze, check)
        result["structured"] = structured(analyze)
        result["customers"] = customer_recall(analyze)
        result["rss_mb"], result["peak_rss_mb"] = _rss_mb()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--system", choices=["ours", "ginza"])
    parser.add_argument("--dev", type=Path, default=DEV)
    parser.add_argument("--only", choices=["ours", "ginza"])
    parser.add_argument("--warm", choices=["ours", "ginza"])
    args = parser.parse_args()
    if args.warm:
        sys.path.insert(0, str(ROOT))
        load_ours(None) if args.warm == "ours" else load_presidio_ginza()
        return
    if args.system:
        print(json.dumps(measure(args.system, args.dev)))
        return
    systems = [args.only] if args.only else ["ours", "ginza"]
    for system in systems:
        # Warm the page cache (Presidio imports spaCy either way), so load times compare alike.
        subprocess.run([sys.executable, __file__, "--warm", system], check=True)
    results = []
    for system in systems:
        done = subprocess.run(
            [sys.executable, __file__, "--system", system, "--dev", str(args.dev)],
            capture_output=True,
            text=True,
            check=True,
        )
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    text = report(results)
    if not args.only:
        (HERE / "RESULTS.md").write_text(text, encoding="utf-8")
        write_docs(text)
    print(text)


if __name__ == "__main__":
    main()
