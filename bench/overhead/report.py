"""Turns samples into the medians table, the target verdicts and the docs section.

Added latency is paired: each repetition measures direct, Kakehashi and the LiteLLM proxy
back to back, the difference is taken within the repetition, and the median of those
differences is reported (drift in background load then cancels instead of adding up).
Only the ``## Gateway overhead`` section of docs/benchmarks.md is ever rewritten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from statistics import median

from bench.overhead.load import Sample

SECTION = "## Gateway overhead"
TARGETS = ("direct", "kakehashi", "portkey", "litellm")
LABELS = {
    "direct": "mock direct",
    "kakehashi": "Kakehashi",
    "portkey": "Portkey gateway",
    "litellm": "LiteLLM proxy",
}


@dataclass(frozen=True)
class Row:
    target: str
    stream: bool
    concurrency: int
    reps: int
    rps: float
    rps_min: float
    rps_max: float
    p50_ms: float
    p99_ms: float
    added_p50_ms: float | None
    added_p99_ms: float | None
    rps_vs_direct: float | None
    cpu_ms_per_req: float
    errors: int


def _paired(samples: list[Sample], target: str, attr: str) -> float | None:
    if target == "direct":
        return None
    direct = {s.cell.rep: getattr(s, attr) for s in samples if s.cell.target == "direct"}
    diffs = [
        getattr(s, attr) - direct[s.cell.rep]
        for s in samples
        if s.cell.target == target and s.cell.rep in direct
    ]
    return median(diffs) if diffs else None


def rows(samples: list[Sample]) -> list[Row]:
    keys = sorted({(s.cell.stream, s.cell.concurrency) for s in samples})
    out = []
    for stream, conc in keys:
        group = [s for s in samples if s.cell.stream == stream and s.cell.concurrency == conc]
        direct_rps = [s.rps for s in group if s.cell.target == "direct"]
        for target in TARGETS:
            mine = [s for s in group if s.cell.target == target]
            if not mine:
                continue
            rps = [s.rps for s in mine]
            out.append(
                Row(
                    target=target,
                    stream=stream,
                    concurrency=conc,
                    reps=len(mine),
                    rps=median(rps),
                    rps_min=min(rps),
                    rps_max=max(rps),
                    p50_ms=median(s.p50_ms for s in mine),
                    p99_ms=median(s.p99_ms for s in mine),
                    added_p50_ms=_paired(group, target, "p50_ms"),
                    added_p99_ms=_paired(group, target, "p99_ms"),
                    rps_vs_direct=median(rps) / median(direct_rps) if direct_rps else None,
                    cpu_ms_per_req=median(s.server_cpu_ms_per_req for s in mine),
                    errors=sum(s.errors for s in mine),
                )
            )
    return out


def _ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:+.2f}" if abs(value) < 100 else f"{value:+.0f}"


def table(result_rows: list[Row]) -> str:
    lines = [
        "| target | mode | conc. | req/s (median) | req/s range | p50 ms | p99 ms "
        "| added p50 ms | added p99 ms | req/s vs direct | server CPU ms/req | errors |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in result_rows:
        ratio = f"{r.rps_vs_direct:.3f}" if r.rps_vs_direct is not None else "1"
        lines.append(
            f"| {LABELS[r.target]} | {'stream' if r.stream else 'chat'} | {r.concurrency} "
            f"| {r.rps:,.0f} | {r.rps_min:,.0f}–{r.rps_max:,.0f} | {r.p50_ms:.2f} "
            f"| {r.p99_ms:.2f} | {_ms(r.added_p50_ms)} | {_ms(r.added_p99_ms)} | {ratio} "
            f"| {r.cpu_ms_per_req:.2f} | {r.errors} |"
        )
    return "\n".join(lines)


@dataclass(frozen=True)
class Verdict:
    name: str
    kakehashi: float
    litellm: float
    limit: str
    met: bool


def _find(result_rows: list[Row], target: str, conc: int) -> Row | None:
    return next(
        (r for r in result_rows if r.target == target and not r.stream and r.concurrency == conc),
        None,
    )


def verdicts(result_rows: list[Row]) -> list[Verdict]:
    out = []
    for conc in (1, 16):
        kk, ll = _find(result_rows, "kakehashi", conc), _find(result_rows, "litellm", conc)
        if kk is None or ll is None:
            continue
        for label, attr in (("p50", "added_p50_ms"), ("p99", "added_p99_ms")):
            k, lit = getattr(kk, attr), getattr(ll, attr)
            out.append(
                Verdict(
                    f"added {label} at concurrency {conc} (ms)",
                    k,
                    lit,
                    "≤ ¼ of LiteLLM",
                    k <= 0.25 * lit,
                )
            )
    chat = [r for r in result_rows if not r.stream]
    kk_max = max((r.rps for r in chat if r.target == "kakehashi"), default=0.0)
    ll_max = max((r.rps for r in chat if r.target == "litellm"), default=0.0)
    if kk_max and ll_max:
        out.append(
            Verdict("max throughput (req/s)", kk_max, ll_max, "≥ 5× LiteLLM", kk_max >= 5 * ll_max)
        )
    return out


def verdict_table(items: list[Verdict]) -> str:
    lines = [
        "| target | Kakehashi | LiteLLM proxy | ratio | required | met |",
        "|---|--:|--:|--:|---|---|",
    ]
    for v in items:
        ratio = v.kakehashi / v.litellm if v.litellm else float("inf")
        lines.append(
            f"| {v.name} | {v.kakehashi:,.2f} | {v.litellm:,.2f} | {ratio:.3f} | {v.limit} "
            f"| {'yes' if v.met else '**no**'} |"
        )
    return "\n".join(lines)


@dataclass(frozen=True)
class PeerCell:
    """Kakehashi against a peer in one cell: medians over repetitions of the per-repetition
    ratios (Kakehashi ÷ peer; the two ran back to back in each repetition)."""

    stream: bool
    concurrency: int
    p50: float
    p99: float
    rps: float
    cpu: float

    @property
    def ahead(self) -> tuple[bool, bool, bool]:
        return self.p50 < 1, self.p99 < 1, self.rps > 1


def _ratio(mine: list[Sample], theirs: list[Sample], attr: str) -> float:
    peer = {s.cell.rep: getattr(s, attr) for s in theirs}
    ratios = [getattr(s, attr) / peer[s.cell.rep] for s in mine if peer.get(s.cell.rep)]
    return median(ratios) if ratios else float("nan")


def peer_cells(samples: list[Sample], peer: str) -> list[PeerCell]:
    out = []
    for stream, conc in sorted({(s.cell.stream, s.cell.concurrency) for s in samples}):
        group = [s for s in samples if s.cell.stream == stream and s.cell.concurrency == conc]
        mine = [s for s in group if s.cell.target == "kakehashi"]
        theirs = [s for s in group if s.cell.target == peer]
        if mine and theirs:
            out.append(
                PeerCell(
                    stream,
                    conc,
                    _ratio(mine, theirs, "p50_ms"),
                    _ratio(mine, theirs, "p99_ms"),
                    _ratio(mine, theirs, "rps"),
                    _ratio(mine, theirs, "server_cpu_ms_per_req"),
                )
            )
    return out


def peer_table(cells: list[PeerCell], peer: str) -> str:
    """Kakehashi ÷ peer per cell: below 1 is better for p50, p99 and CPU, above 1 for req/s."""
    lines = [
        f"| mode | conc. | p50 ratio | p99 ratio | req/s ratio | CPU/req ratio "
        f"| ahead of {LABELS[peer]} on p50 / p99 / req/s |",
        "|---|--:|--:|--:|--:|--:|---|",
    ]
    for c in cells:
        marks = " / ".join("yes" if ok else "**no**" for ok in c.ahead)
        lines.append(
            f"| {'stream' if c.stream else 'chat'} | {c.concurrency} | {c.p50:.3f} | {c.p99:.3f} "
            f"| {c.rps:.3f} | {c.cpu:.3f} | {marks} |"
        )
    return "\n".join(lines)


def replace_section(path: Path, body: str, section: str = SECTION) -> None:
    """Write ``body`` (starting with ``section``) into ``path``, leaving other sections alone."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^{re.escape(section)}\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)
    block = body.rstrip("\n") + "\n"
    if pattern.search(text):
        text = pattern.sub(lambda _m: block + "\n", text, count=1).rstrip("\n") + "\n"
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.write_text(text, encoding="utf-8")
