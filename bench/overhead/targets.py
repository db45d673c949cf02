"""``uv run python -m bench.overhead.targets``: every "done when" of the performance issue
(issue 18) in one command — the benchmarks one after the other, each alone on the machine,
their whole outputs kept, then one table: target, figure, met or missed.

Each step is also a command of its own (docs/benchmarks.md explains their rows); the figures
are read from the lines those commands print, so a step whose output changes shape reads as
"no figure" here, never as met. Nothing else should run meanwhile (~15 minutes): the
comparisons inside each step are side by side, but the ratios still move with a busy machine.
``--no-docs``: the redaction-on step leaves docs/benchmarks.md alone (the Portkey step always
does).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench.overhead.servers import REPO

RESULTS = Path(__file__).with_name("results")


@dataclass(frozen=True)
class Step:
    name: str
    command: list[str]


STEPS = [
    Step("portkey", ["-m", "bench.overhead", "--no-litellm", "--no-docs", "--seconds", "6",
                     "--warmup", "2", "--reps", "3"]),
    Step("redaction-on", ["-m", "bench.overhead.redaction_on"]),
    Step("startup", ["-m", "bench.overhead.startup", "--workers", "2", "--reps", "4"]),
    Step("dense", ["bench/redaction/speed.py", "--rounds", "5", "--runs", "150"]),
    Step("conversation", ["-m", "bench.overhead.conversation", "--conversations", "4",
                          "--turns", "20"]),
]  # fmt: skip


@dataclass(frozen=True)
class Verdict:
    target: str
    figure: str
    met: bool | None  # None: the figure was not found in the step's output


def _number(pattern: str, text: str) -> float | None:
    found = re.search(pattern, text, re.M)
    return float(found.group(1).replace(",", "")) if found else None


def _at_most(target: str, value: float | None, limit: float, unit: str) -> Verdict:
    if value is None:
        return Verdict(target, "no figure", None)
    return Verdict(target, f"{value:g}{unit}", value <= limit)


def portkey(out: str) -> list[Verdict]:
    """The ratio table's last column, "yes / yes / yes" per cell: 6 cells x 3 figures."""
    rows = re.findall(r"^\| (chat|stream) \| (\d+) \|.*\| (\w+) / (\w+) / (\w+) \|$", out, re.M)
    ahead = sum(answer == "yes" for row in rows for answer in row[2:])
    target = "redaction off: ahead of Portkey on p50, p99, req/s (c=1, 16, 64; chat, stream)"
    if len(rows) != 6:
        return [Verdict(target, "no figure", None)]
    return [Verdict(target, f"{ahead} of 18", ahead == 18)]


def redaction_on(out: str) -> list[Verdict]:
    found = re.search(r"guardrail: \*\*(met|missed)\*\* \(([\d.]+)× at c=16\)", out)
    target = "redaction on: c=16 req/s >= 5x LiteLLM + Presidio regex guardrail"
    if not found:
        return [Verdict(target, "no figure", None)]
    return [Verdict(target, f"{found.group(2)}x", float(found.group(2)) >= 5)]


def startup(out: str) -> list[Verdict]:
    row = re.search(r"^\| this \| \d+ \| ([\d.]+) \| [\d.]+ \| ([\d.]+) \|", out, re.M)
    seconds, rss = (float(row.group(1)), float(row.group(2))) if row else (None, None)
    return [
        _at_most("start-up to the first /healthz 200 <= 8 s", seconds, 8, " s"),
        _at_most("RSS per worker <= 250 MB", rss, 250, " MB"),
    ]


def dense(out: str) -> list[Verdict]:
    value = _number(r"^\| this checkout \| DENSE_MAIL \| ([\d.]+) \|", out)
    return [_at_most("dense text <= 15 ms CPU per 1,000 characters", value, 15, " ms")]


def conversation(out: str) -> list[Verdict]:
    value = _number(r"^\| cache \|.*\| ([\d.]+)× \|$", out)
    return [_at_most("turn 20 <= 1.5x turn 1 (analysis cache)", value, 1.5, "x")]


READERS: dict[str, Callable[[str], list[Verdict]]] = {
    "portkey": portkey,
    "redaction-on": redaction_on,
    "startup": startup,
    "dense": dense,
    "conversation": conversation,
}


def table(verdicts: list[Verdict]) -> str:
    lines = ["| target | figure | verdict |", "|---|--:|---|"]
    for v in verdicts:
        word = {True: "met", False: "**missed**", None: "**no figure**"}[v.met]
        lines.append(f"| {v.target} | {v.figure} | {word} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.overhead.targets")
    parser.add_argument("--no-docs", action="store_true", help="leave docs/benchmarks.md alone")
    args = parser.parse_args(argv)
    folder = RESULTS / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-targets"
    folder.mkdir(parents=True)
    verdicts: list[Verdict] = []
    for step in STEPS:
        command = [sys.executable, *step.command]
        if step.name == "redaction-on" and args.no_docs:
            command.append("--no-docs")
        started = time.monotonic()
        print(f"== {step.name}: {' '.join(command[1:])}", flush=True)
        done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
        out = done.stdout + done.stderr
        (folder / f"{step.name}.txt").write_text(out, encoding="utf-8")
        print(f"   exit {done.returncode}, {time.monotonic() - started:.0f} s", flush=True)
        verdicts += READERS[step.name](out)
    print(table(verdicts))
    print(f"(outputs in {folder})")
    return 0 if all(v.met for v in verdicts) else 1


if __name__ == "__main__":
    raise SystemExit(main())
