"""``uv run python -m bench.overhead.redaction_on_cpu [TREE ...]``: CPU per redaction-on request
of several checkouts side by side, split by thread (issue 18).

The request of ``bench.overhead.redaction_on`` (the ~1,400-character ``DENSE_MAIL`` with a
running number, so no analysis cache answers it), wrk at one concurrency, each checkout's own
Kakehashi (two workers, SQLite, the default profile) on one mock upstream. Each TREE is a
checkout with its own ``.venv`` (``git worktree add`` + ``uv sync``); none given: this one.
Cells interleave and the order turns each repetition; the machine is shared, so compare the
medians of one run, never two runs.

Per request and thread, from ``/proc/<pid>/task/*/stat`` (names from one ``py-spy dump``):
the analysis worker ("AnyIO worker thread": the analyser, owned by ``redaction.engine``), the
event loop ("MainThread": HTTP, the pipeline, the boundary walk, mapping, substitution,
restore), the audit threads; and the gateway's whole CPU per request (``bench.overhead.load``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from bench.overhead import guardrail
from bench.overhead.load import Cell, measure, wrk
from bench.overhead.profile import PY_SPY
from bench.overhead.redaction_on import settle
from bench.overhead.servers import REPO, Fleet, Server, start_kakehashi, start_mock

_TICKS = os.sysconf("SC_CLK_TCK")


def thread_names(server: Server) -> dict[str, str]:
    """Thread id -> Python thread name of the server's workers (py-spy dump prints both)."""
    names: dict[str, str] = {}
    for pid in server.pids():
        if pid == server.proc.pid:
            continue
        dump = subprocess.run(
            [*PY_SPY, "dump", "--pid", str(pid)], capture_output=True, text=True, check=False
        ).stdout
        for match in re.finditer(r'Thread (\d+) \([^)]*\): "([^"]*)"', dump):
            names[match.group(1)] = match.group(2)
    return names


def thread_cpu(server: Server, names: dict[str, str]) -> Counter[str]:
    """CPU seconds so far by thread name (numbered names folded: audit-writer_0 -> audit-writer);
    threads started after the dump count as "other"."""
    out: Counter[str] = Counter()
    for pid in server.pids():
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # the thread ended
            name = names.get(task.name, "other").rstrip("_0123456789")
            out[name] += (int(fields[11]) + int(fields[12])) / _TICKS
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.overhead.redaction_on_cpu")
    parser.add_argument("trees", nargs="*", type=Path, help="checkouts (default: this one)")
    parser.add_argument("--seconds", type=float, default=12, help="measured time per cell")
    parser.add_argument("--reps", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    trees = [t.resolve() for t in args.trees] or [REPO]
    on = {"default_policy": {"allowed_models": ["*"]}, "redaction_timeout_s": 60}
    rows: dict[str, list[dict[str, float]]] = {str(t): [] for t in trees}
    with tempfile.TemporaryDirectory(prefix="kakehashi-redaction-cpu-") as tmp:
        fleet = Fleet(Path(tmp), args.workers)
        try:
            mock = start_mock(fleet)
            servers = [
                start_kakehashi(fleet, mock, name=f"k{i}", overrides=on, root=tree)
                for i, tree in enumerate(trees)
            ]
            body = Path(tmp) / "mail.json"
            mail = guardrail.mail_body(stream=False)
            body.write_text(json.dumps(mail, ensure_ascii=False), "utf-8")
            names = []
            for i, server in enumerate(servers):  # warm-up; each worker's analyser loaded
                os.environ["BENCH_UNIQUE"] = str(i + 1)
                wrk(server, body=body, connections=4, seconds=8, timeout=120)
                settle(server)
                names.append(thread_names(server))
            for rep in range(args.reps):
                turn = rep % len(servers)
                for i in [*range(turn, len(servers)), *range(turn)]:
                    server, tree = servers[i], str(trees[i])
                    # A new range of running numbers per cell: no text is ever sent twice.
                    os.environ["BENCH_UNIQUE"] = str((rep * len(servers) + i + 1) * 10_000_000)
                    before = thread_cpu(server, names[i])
                    cell = Cell(server.name, False, args.concurrency, rep)
                    sample = measure(
                        cell, server, mock, body=body, seconds=args.seconds, warmup=0, timeout=120
                    )
                    # Before they settle, like the total: requests still in flight are not counted.
                    used = thread_cpu(server, names[i]) - before
                    settle(server)
                    n = max(sample.requests, 1)
                    row = {k: 1000 * v / n for k, v in used.items()}
                    row.update(total=sample.server_cpu_ms_per_req, rps=sample.rps)
                    rows[tree].append(row)
                    rounded = {k: round(v, 2) for k, v in row.items()}
                    print(f"rep={rep} {tree}: {json.dumps(rounded)}", flush=True)
        finally:
            fleet.stop_all()
            os.environ.pop("BENCH_UNIQUE", None)
    keys = sorted({k for tree_rows in rows.values() for r in tree_rows for k in r})
    print("\nmedians (ms CPU per request by thread; total = whole gateway; rps = req/s)")
    print("| tree | " + " | ".join(keys) + " |\n|---|" + "--:|" * len(keys))
    for tree, tree_rows in rows.items():
        cells = [statistics.median(r.get(k, 0.0) for r in tree_rows) for k in keys]
        print(f"| {tree} | " + " | ".join(f"{c:.2f}" for c in cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
