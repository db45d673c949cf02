"""``uv run python -m bench.overhead``: the gateway overhead benchmark of issue 2.

Starts the mock upstream, Kakehashi (``kakehashi serve``, SQLite, a real API key), the Portkey
gateway (pinned, npm-installed into .bench/portkey) and the LiteLLM proxy (pinned, in its own
throw-away venv under .bench/), all on 127.0.0.1; runs wrk against each at several
concurrencies, plain and streamed, for a fixed time, repeated and interleaved; prints the
medians table and rewrites the ``## Gateway overhead`` section of docs/benchmarks.md.
Every process it starts is stopped on every exit path.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from bench.overhead import report
from bench.overhead.load import Cell, Sample, measure
from bench.overhead.portkey import NODE_SERVER_VERSION, PORTKEY_VERSION, start_portkey
from bench.overhead.servers import (
    LITELLM_VERSION,
    PROMPT,
    REPO,
    Fleet,
    Server,
    chat_body,
    check_answers,
    code_fingerprint,
    start_kakehashi,
    start_litellm,
    start_mock,
)

RESULTS = Path(__file__).with_name("results")


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.overhead", description=__doc__)
    parser.add_argument("--seconds", type=float, default=10, help="measured time per cell")
    parser.add_argument("--warmup", type=float, default=3, help="unmeasured time before a cell")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--concurrency", default="1,16,64")
    parser.add_argument("--stream-concurrency", default="1,16,64", help="'': no stream rows")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--no-litellm", action="store_true")
    parser.add_argument("--no-portkey", action="store_true")
    parser.add_argument("--no-docs", action="store_true", help="do not touch docs/benchmarks.md")
    return parser.parse_args(argv)


def _bodies(workdir: Path) -> dict[bool, Path]:
    paths = {}
    for stream in (False, True):
        path = workdir / f"body-{'stream' if stream else 'chat'}.json"
        path.write_text(json.dumps(chat_body(stream=stream), ensure_ascii=False), encoding="utf-8")
        paths[stream] = path
    return paths


def _plan(args: argparse.Namespace, targets: list[str]) -> list[Cell]:
    levels = [int(c) for c in args.concurrency.split(",")]
    modes = [(False, c) for c in levels]
    modes += [(True, int(c)) for c in args.stream_concurrency.split(",") if c.strip()]
    cells = []
    for rep in range(args.reps):
        # Rotate the order per repetition so no target always runs first (or after the heaviest).
        order = targets[rep % len(targets) :] + targets[: rep % len(targets)]
        for stream, conc in modes:
            cells += [Cell(t, stream, conc, rep) for t in order]
    return cells


def _run(args: argparse.Namespace, fleet: Fleet) -> list[Sample]:
    mock = start_mock(fleet)
    servers: dict[str, Server] = {"direct": mock, "kakehashi": start_kakehashi(fleet, mock)}
    if not args.no_portkey:
        servers["portkey"] = start_portkey(fleet, mock)
    if not args.no_litellm:
        servers["litellm"] = start_litellm(fleet, mock)
    for server in servers.values():
        check_answers(server)
    bodies = _bodies(fleet.workdir)
    cells = _plan(args, list(servers))
    samples = []
    for i, cell in enumerate(cells, 1):
        sample = measure(
            cell, servers[cell.target], mock,
            body=bodies[cell.stream], seconds=args.seconds, warmup=args.warmup,
        )  # fmt: skip
        samples.append(sample)
        print(
            f"[{i}/{len(cells)}] {cell.target:9} {'stream' if cell.stream else 'chat':6} "
            f"c={cell.concurrency:<3} rep={cell.rep} {sample.rps:9,.1f} req/s "
            f"p50={sample.p50_ms:8.2f} ms p99={sample.p99_ms:8.2f} ms errors={sample.errors} "
            f"others={sample.others_busy_s / sample.seconds:.2f} cores",
            flush=True,
        )
    return samples


def _machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    return f"{os.cpu_count()} cores ({cpu}), Linux {platform.release()}, Python {platform.python_version()}"


def _commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
    )
    dirty = subprocess.run(
        ["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    return done.stdout.strip() + (" plus uncommitted work in the tree" if dirty else "")


def _noise(samples: list[Sample]) -> str:
    others = sorted(s.others_busy_s / s.seconds for s in samples)
    mid = others[len(others) // 2]
    return (
        f"CPU used by processes other than the servers under test and wrk during the measured "
        f"cells: median {mid:.2f} cores, max {others[-1]:.2f} cores (of {os.cpu_count()})"
    )


def _node_version() -> str:
    done = subprocess.run(["node", "--version"], capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def _portkey_part(args: argparse.Namespace, samples: list[Sample]) -> str:
    cells = report.peer_cells(samples, "portkey")
    if args.no_portkey or not cells:
        return ""
    return f"""
Against the Portkey gateway {PORTKEY_VERSION} (issue 18; npm, Node {_node_version()}, its
`start-server.js --headless` with `NODE_ENV=production`: one Node process, as it ships;
`@hono/node-server` pinned to {NODE_SERVER_VERSION}, see `bench/overhead/portkey.py`), routed by
`x-portkey-provider: openai` and `x-portkey-custom-host` to the same mock. Kakehashi ÷ Portkey,
the median over repetitions of the ratio within each repetition (the two ran back to back):

{report.peer_table(cells, "portkey")}
"""


def section(args: argparse.Namespace, command: str, samples: list[Sample]) -> str:
    rows = report.rows(samples)
    verdicts = report.verdicts(rows)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""{report.SECTION}

Issue 2. Measured {when} on {_machine()}, commit {_commit()}
(source fingerprint {code_fingerprint()}).

```
{command}
```

Non-streaming chat completions (and one streaming row) with the prompt 「{PROMPT}」,
against the mock upstream (`tests/support/mock_upstream.py`, one uvicorn process) directly,
through Kakehashi (`kakehashi serve --workers {args.workers}`, SQLite in a temp dir, a real API key,
audit on, redaction off: the default policy redacts and blocks nothing) and through the LiteLLM proxy {LITELLM_VERSION} (own venv,
`--num_workers {args.workers} --timeout_worker_healthcheck 120` (its workers import for longer
than uvicorn's 5 s health ping on a loaded machine), master key, no database, `set_verbose: false`, `json_logs: true`,
`disable_spend_logs`, `LITELLM_LOG=ERROR`, `LITELLM_LOCAL_MODEL_COST_MAP=True`; as in its production
docs). Load: `wrk -t1 -c<concurrency>` with `bench/overhead/post.lua`, {args.warmup:g} s warm-up then
{args.seconds:g} s measured per cell, {args.reps} repetitions interleaved (targets back to back, order
rotated). Figures are medians over repetitions; "added" latency is the median of per-repetition
differences from direct; "server CPU ms/req" is the gateway's (for direct: the mock's) user+system
CPU per request.

{report.table(rows)}

Targets (same run):

{report.verdict_table(verdicts) if verdicts else "(no LiteLLM proxy in this run)"}
{_portkey_part(args, samples)}
Noise: everything (servers, mock, wrk) shares {os.cpu_count()} cores with other engineers' test runs.
{_noise(samples)}. The req/s range column shows the spread across repetitions; read ratios, not
absolute numbers. Raw samples: `bench/overhead/results/` (not committed).
"""


def _stop_on_signal(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    command = "uv run python -m bench.overhead " + shlex.join(argv if argv else sys.argv[1:])
    signal.signal(signal.SIGTERM, _stop_on_signal)
    signal.signal(signal.SIGHUP, _stop_on_signal)
    with tempfile.TemporaryDirectory(prefix="kakehashi-bench-") as tmp:
        fleet = Fleet(Path(tmp), args.workers)
        started = time.monotonic()
        before = code_fingerprint()
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        RESULTS.mkdir(exist_ok=True)
        try:
            samples = _run(args, fleet)
        finally:
            fleet.stop_all()
            for log in Path(tmp).glob("*.log"):  # warnings and errors only; kept for diagnosis
                shutil.copyfile(log, RESULTS / f"{stamp}-{log.name}")
        if code_fingerprint() != before:
            print("warning: the gateway's source changed during the run", file=sys.stderr)
    raw = RESULTS / f"{stamp}.json"
    raw.write_text(json.dumps([s.to_json() for s in samples], indent=1), encoding="utf-8")
    text = section(args, command.strip(), samples)
    print("\n" + text)
    print(f"({time.monotonic() - started:.0f} s; raw samples in {raw.relative_to(REPO)})")
    if not args.no_docs:
        report.replace_section(REPO / "docs" / "benchmarks.md", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
