"""``uv run python -m bench.overhead.profile``: where Kakehashi's time goes per request.

Two views of the same setup as the benchmark (mock upstream, SQLite, a real key, workers =
cores), served through ``bench.overhead.stages`` (the real app with timers around its stages):

1. wall time per stage (auth lookup, upstream call, audit commit, the rest of the pipeline,
   and the framework around it), at each concurrency, for the current code and for "what if"
   variants (``--whatif audit_nowait``) that are measured here and not made in the gateway;
2. CPU per request by category from py-spy samples of every worker under load.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from statistics import median

from bench.overhead.load import Cell, Sample, measure
from bench.overhead.servers import (
    Fleet,
    Server,
    chat_body,
    prepare_kakehashi,
    start_mock,
    wait_ready,
)

PY_SPY = ["uvx", "--from", "py-spy==0.4.3", "py-spy"]
STAGES = ("auth", "upstream", "intend", "audit", "pipeline", "framework", "total")

# (category, any of these substrings in the stack); the first match wins, so specific first.
CATEGORIES = [
    ("SQLite in the aiosqlite thread (auth query + audit commit)", ("aiosqlite/core.py",)),
    ("audit group commit (event loop side)", ("audit/writer.py", "audit/chain.py")),
    ("API-key lookup (event loop side)", ("gateway/identity/apikeys.py", "gateway/auth.py")),
    ("stream relay (restore, SSE framing)", ("gateway/relay.py", "redaction/responses.py")),
    ("upstream call (aiohttp, orjson)", ("gateway/provider/",)),
    ("request validation and dump (FastAPI/pydantic)", ("request_body_to_args", "_validate_", "model_dump", "pydantic")),
    ("pipeline, policy and audit event", ("gateway/pipeline.py", "policies/")),
    # SQLAlchemy's asyncio layer runs statements in greenlets, whose stacks do not show the
    # auth or audit caller: this is the ORM/Core share of both, plus session and pool resets.
    ("SQLAlchemy in greenlets (auth query, audit insert, session/pool)", ("sqlalchemy", "greenlet")),
    ("FastAPI/Starlette routing, middleware, dependencies", ("fastapi/", "starlette/")),
    # Not "uvicorn/": uvicorn's asyncio_run is the root of every event-loop stack.
    ("uvicorn HTTP protocol", ("uvicorn/protocols", "httptools")),
    ("event loop (uvloop I/O and scheduling) and other", ("",)),
]  # fmt: skip


def start_timed(fleet: Fleet, mock: Server, *, whatif: str, out: Path) -> Server:
    config, port, token, env = prepare_kakehashi(fleet, mock)
    env.update(KAKEHASHI_CONFIG=str(config), BENCH_STAGES_OUT=str(out), BENCH_WHATIF=whatif)
    cmd = [sys.executable, "-m", "uvicorn", "bench.overhead.stages:app", "--factory",
           "--host", "127.0.0.1", "--port", str(port), "--workers", str(fleet.workers),
           "--log-level", "warning", "--no-access-log"]  # fmt: skip
    name = f"kakehashi-{whatif or 'current'}"
    server = fleet.spawn(name, cmd, env=env, base_url=f"http://127.0.0.1:{port}/v1", token=token)
    wait_ready(server, f"http://127.0.0.1:{port}/healthz", timeout=180)
    return server


def _stage_rows(out: Path, start: float, end: float) -> dict[str, float]:
    records = []
    for path in out.glob("*.jsonl"):
        for line in path.read_text().splitlines():
            rec = json.loads(line)
            if start <= rec["t"] <= end and "chat" in rec:
                records.append(rec)
    result = {"requests": float(len(records))}
    for rec in records:
        rec["pipeline"] = (
            rec["chat"] - rec.get("upstream", 0) - rec.get("audit", 0) - rec.get("intend", 0)
        )
        rec["framework"] = rec["total"] - rec["chat"] - rec.get("auth", 0)
    for stage in STAGES:
        values = sorted(r.get(stage, 0.0) * 1000 for r in records) or [0.0]
        result[stage] = median(values)
        result[stage + "_p99"] = values[min(len(values) - 1, int(len(values) * 0.99))]
    return result


def _variant(
    fleet: Fleet, mock: Server, args: argparse.Namespace, whatif: str, body: Path
) -> list[tuple[Sample, dict[str, float]]]:
    with tempfile.TemporaryDirectory(dir=fleet.workdir) as tmp:
        server = start_timed(fleet, mock, whatif=whatif, out=Path(tmp))
        results = []
        for conc in args.concurrency:
            begin = time.time() + args.warmup
            sample = measure(Cell(whatif or "current", False, conc, 0), server, mock,
                             body=body, seconds=args.seconds, warmup=args.warmup)  # fmt: skip
            end = time.time()
            results.append((sample, {"begin": begin, "end": end}))
        server.stop()
        fleet.servers.remove(server)
        return [(s, _stage_rows(Path(tmp), w["begin"], w["end"])) for s, w in results]


def _print_stages(whatif: str, results: list[tuple[Sample, dict[str, float]]]) -> None:
    for sample, st in results:
        print(
            f"| {whatif or 'current code'} | {sample.cell.concurrency} | {sample.rps:,.0f} "
            f"| {sample.p50_ms:.2f} | {sample.p99_ms:.2f} | {sample.server_cpu_ms_per_req:.2f} | "
            + " | ".join(f"{st[s]:.2f} / {st[s + '_p99']:.1f}" for s in STAGES)
            + " |",
            flush=True,
        )


def _categorise(stack: str) -> str:
    for name, needles in CATEGORIES:
        if any(n in stack for n in needles):
            return name
    return CATEGORIES[-1][0]


def _py_spy(fleet: Fleet, mock: Server, args: argparse.Namespace, body: Path) -> None:
    with tempfile.TemporaryDirectory(dir=fleet.workdir) as tmp:
        server = start_timed(fleet, mock, whatif="", out=Path(tmp))
        workers = [p for p in server.pids() if p != server.proc.pid]
        spies = [
            subprocess.Popen(
                [
                    *PY_SPY,
                    "record",
                    "--pid",
                    str(pid),
                    "--duration",
                    str(int(args.seconds)),
                    "--rate",
                    "200",
                    "--nonblocking",
                    "--format",
                    "raw",
                    "--output",
                    f"{tmp}/{pid}.txt",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for pid in workers
        ]
        time.sleep(2)  # py-spy attaches
        conc = args.spy_concurrency
        sample = measure(Cell("current", args.stream, conc, 0), server, mock,
                         body=body, seconds=args.seconds, warmup=0)  # fmt: skip
        for spy in spies:
            spy.wait(timeout=60)
        if args.stacks:
            Path(args.stacks).mkdir(parents=True, exist_ok=True)
            for path in Path(tmp).glob("*.txt"):
                shutil.copyfile(path, Path(args.stacks) / path.name)
        counts: Counter[str] = Counter()
        leaves: Counter[tuple[str, str]] = Counter()
        for path in Path(tmp).glob("*.txt"):
            for line in path.read_text().splitlines():
                stack, _, n = line.rpartition(" ")
                category = _categorise(stack)
                counts[category] += int(n)
                leaves[category, ";".join(stack.split(";")[-2:])] += int(n)
        server.stop()
        fleet.servers.remove(server)
    total = sum(counts.values()) or 1
    cpu = sample.server_cpu_ms_per_req
    print(f"\npy-spy, concurrency {conc}: {sample.rps:,.0f} req/s, {cpu:.2f} ms CPU/request, "
          f"{total} on-CPU samples\n")  # fmt: skip
    print("| category | share of CPU samples | ≈ ms CPU per request |\n|---|--:|--:|")
    for name, _ in CATEGORIES:
        share = counts[name] / total
        print(f"| {name} | {share:.1%} | {share * cpu:.2f} |")
    print("\nhottest leaf frames (caller;leaf) of the larger categories:")
    for (category, leaf), hits in leaves.most_common(25):
        if counts[category] / total >= 0.05:
            print(f"  {hits / total:6.1%}  {category[:28]:28}  {leaf}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.overhead.profile", description=__doc__)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--concurrency", type=lambda s: [int(c) for c in s.split(",")],
                        default=[1, 16, 64])  # fmt: skip
    parser.add_argument("--spy-concurrency", type=int, default=16)
    parser.add_argument("--whatif", default="",
                        help="comma-separated variants; '+' joins changes; empty = current code")  # fmt: skip
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--stacks", default="", help="keep py-spy's raw stacks in this folder")
    parser.add_argument("--stream", action="store_true", help="streamed requests (SSE)")
    parser.add_argument("--spy-only", action="store_true", help="skip the wall-time table")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kakehashi-profile-") as tmp:
        fleet = Fleet(Path(tmp), args.workers)
        try:
            mock = start_mock(fleet)
            body = Path(tmp) / "body.json"
            body.write_text(json.dumps(chat_body(stream=args.stream), ensure_ascii=False))
            print("wall time per request in ms, median / p99 (framework = total − auth − chat)\n")
            print("| variant | conc. | req/s | p50 ms | p99 ms | CPU ms/req | "
                  + " | ".join(STAGES) + " |\n|---|--:|" + "--:|" * (4 + len(STAGES)))  # fmt: skip
            for whatif in [] if args.spy_only else args.whatif.split(","):
                _print_stages(whatif, _variant(fleet, mock, args, whatif.replace("+", ","), body))
            _py_spy(fleet, mock, args, body)
        finally:
            fleet.stop_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
