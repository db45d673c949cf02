"""The docs section of ``bench.overhead.redaction_on``: tables, ratios and the ≥ 5× verdict.

Ratios are Kakehashi ÷ LiteLLM + Presidio, taken within each repetition (the two ran back to
back) and then the median over repetitions, so drift in the machine's background load cancels.
Only this section of docs/benchmarks.md is ever rewritten.
"""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime
from statistics import median
from typing import Any

from bench.overhead import guardrail
from bench.overhead.__main__ import _commit, _machine, _noise
from bench.overhead.load import Sample
from bench.overhead.servers import code_fingerprint

SECTION = "## Redaction on: Kakehashi against LiteLLM with its Presidio guardrail (issue 18)"
NAMES = {"kakehashi": "Kakehashi", "litellm": "LiteLLM + Presidio"}


def _mid(values: list[float]) -> float:
    return median(values) if values else float("nan")


def _ratio(samples: list[Sample], conc: int, attr: str) -> float:
    mine = {s.cell.rep: getattr(s, attr) for s in samples
            if s.cell.target == "kakehashi" and s.cell.concurrency == conc}  # fmt: skip
    peer = {s.cell.rep: getattr(s, attr) for s in samples
            if s.cell.target == "litellm" and s.cell.concurrency == conc}  # fmt: skip
    return _mid([mine[r] / peer[r] for r in mine if peer.get(r)])


def load_table(samples: list[Sample]) -> str:
    lines = [
        "| gateway | conc. | req/s (median) | req/s range | p50 ms | p99 ms "
        "| CPU ms/req | requests | errors |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for conc in sorted({s.cell.concurrency for s in samples}):
        for target, label in NAMES.items():
            mine = [s for s in samples if s.cell.target == target and s.cell.concurrency == conc]
            if not mine:
                continue
            rps = [s.rps for s in mine]
            lines.append(
                f"| {label} | {conc} | {_mid(rps):,.1f} | {min(rps):,.1f}–{max(rps):,.1f} "
                f"| {_mid([s.p50_ms for s in mine]):,.1f} | {_mid([s.p99_ms for s in mine]):,.1f} "
                f"| {_mid([s.server_cpu_ms_per_req for s in mine]):.1f} "
                f"| {sum(s.requests for s in mine):,} | {sum(s.errors for s in mine)} |"
            )
    return "\n".join(lines)


def ratio_table(samples: list[Sample]) -> tuple[str, dict[int, float]]:
    lines = [
        "| conc. | req/s ratio | p50 ratio | p99 ratio | CPU/req ratio |",
        "|--:|--:|--:|--:|--:|",
    ]
    rps = {}
    for conc in sorted({s.cell.concurrency for s in samples}):
        rps[conc] = _ratio(samples, conc, "rps")
        lines.append(
            f"| {conc} | {rps[conc]:.2f}× | {_ratio(samples, conc, 'p50_ms'):.3f} "
            f"| {_ratio(samples, conc, 'p99_ms'):.3f} "
            f"| {_ratio(samples, conc, 'server_cpu_ms_per_req'):.3f} |"
        )
    return "\n".join(lines), rps


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def first_byte_table(first: dict[str, list[tuple[float, float]]]) -> str:
    lines = [
        "| gateway | streams | first byte p50 ms | first byte p99 ms | whole stream p50 ms |",
        "|---|--:|--:|--:|--:|",
    ]
    for target, label in NAMES.items():
        got = [f for f, _ in first.get(target) or []]
        ends = [e for _, e in first.get(target) or []]
        if got:
            lines.append(
                f"| {label} | {len(got)} | {1000 * _mid(got):,.1f} "
                f"| {1000 * _pct(got, 0.99):,.1f} | {1000 * _mid(ends):,.1f} |"
            )
    return "\n".join(lines)


def parts_line(parts: list[dict[str, float]]) -> str:
    """Median CPU ms per request of each process of the peer, per concurrency."""
    out = []
    for conc in sorted({int(p["conc"]) for p in parts}):
        mine = [p for p in parts if p["conc"] == conc]
        names = [k for k in mine[0] if k != "conc"]
        split = ", ".join(f"{k} {_mid([p[k] for p in mine]):.1f}" for k in names)
        out.append(f"c={conc}: {split}")
    return "; ".join(out)


def talk_table(talks: dict[str, dict[int, list[float]]], turns: list[int]) -> str:
    sizes = {t: sum(len(m["content"]) for m in _turn(t)) for t in turns}
    lines = [
        "| gateway | " + " | ".join(f"turn {t} ({sizes[t]:,} chars)" for t in turns)
        + " | turn 20 / turn 1 |",
        "|---|" + "--:|" * (len(turns) + 1),
    ]  # fmt: skip
    for target, label in NAMES.items():
        p50 = {t: _mid(talks[target][t]) for t in turns}
        cells = [f"{1000 * p50[t]:,.0f} ms" for t in turns]
        lines.append(
            f"| {label} | " + " | ".join(cells) + f" | {p50[turns[-1]] / p50[turns[0]]:.2f}× |"
        )
    return "\n".join(lines)


def _turn(turn: int) -> list[dict[str, str]]:
    from bench.overhead.conversation import conversation

    return conversation(seed=7000, turns=turn)[-1]


def _detections(found: dict[str, guardrail.Leaks]) -> str:
    parts = []
    for name, leaks in found.items():
        labels = ", ".join(f"{k} ×{v}" for k, v in leaks.placeholders.items()) or "none"
        parts.append(f"{name}: {labels}")
    return "; ".join(parts)


def section(args: argparse.Namespace, command: str, result: dict[str, Any], litellm: str) -> str:
    samples: list[Sample] = result["samples"]
    ratios, rps = ratio_table(samples)
    c16 = rps.get(16)
    verdict = (
        "not measured (no c=16 cells)"
        if c16 is None
        else f"**{'met' if c16 >= 5 else 'missed'}** ({c16:.2f}× at c=16)"
    )
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    talks = ""
    if result["talks"]:
        talks = f"""
A conversation re-sent whole each turn (`bench.overhead.conversation`'s: a ~450-character
request with names, company, phone, e-mail and address, ~450-character answers, one-line
follow-ups), {args.conversations} conversations; turns 1, 5, 10 and 20 of each (only those) sent
to both back to back, order alternating; median latency at the client, c=1:

{talk_table(result["talks"], result["turns"])}
"""
    return f"""{SECTION}

Measured {when} on {_machine()}, commit {_commit()} (source fingerprint {code_fingerprint()}).
Written by the benchmark; the text around the tables is its template.

```
{command}
```

Redaction on, one run, same machine, same mock upstream. Kakehashi: `kakehashi serve --workers
{args.workers}`, SQLite, a real API key, the default profile (every type redacted, answers
restored), the analysis cache at its default (64 MB per worker). The peer: the LiteLLM proxy
{litellm} (`--num_workers {args.workers}`, as in the overhead section) with `guardrail: presidio`,
`mode: pre_call`, `default_on: true` (language and output unmasking at their defaults: `en`, off),
calling Presidio {guardrail.PRESIDIO_VERSION}'s analyzer and anonymizer REST servers, one process
each as Microsoft's images run by default, served by `bench/overhead/presidio_server.py`
(regex-only: Presidio's predefined English pattern recognizers — e-mail, phone with JP added to
its regions, credit card, IBAN, IP, URL, crypto, date, MAC, UUID, US/UK identifiers — and no NER
model, so no names, companies or addresses). Every request carries the ~1,400-character sales
e-mail `DENSE_MAIL` (`bench/redaction/cases.py`) with a running number in it (no text is sent
twice, so neither side answers from a cache). First {args.prewarm:g} s of unmeasured load on
each; then per cell wrk `-t1 -c<conc> --timeout 120s`, {args.warmup:g} s warm-up, a wait until the
gateway has finished what wrk left in flight (its CPU idle), {args.seconds:g} s measured;
{args.reps} repetitions, order alternating. LiteLLM's CPU per request counts its workers and both
Presidio servers.

What reached the upstream for the e-mail (sent once through each to a recording mock):

{guardrail.leaks_table(result["found"])}

Placeholders in what was sent: {_detections(result["found"])}.

{load_table(samples)}

Kakehashi ÷ LiteLLM + Presidio, median of the per-repetition ratios (above 1 is better for
req/s, below 1 for latency and CPU):

{ratios}

Target: redaction on, c=16 req/s ≥ 5× LiteLLM with the Presidio guardrail: {verdict}.

The peer's CPU ms per request by process (median over repetitions): {parts_line(result["parts"])}.

Time to the first streamed byte, c=1, {args.streams} streams each, targets alternating:

{first_byte_table(result["first"])}
{talks}
Noise: {_noise(samples)}; {os.cpu_count()} cores shared with other engineers' runs, so read
the ratios. Raw samples: `bench/overhead/results/` (not committed).
"""
