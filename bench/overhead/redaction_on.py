"""``uv run python -m bench.overhead.redaction_on``: redaction on, Kakehashi against the LiteLLM
proxy with its Presidio guardrail (issue 18), in one run.

Both gateways run side by side on the same mock upstream, two workers each: Kakehashi with the
default profile (every type redacted, the analysis cache at its default) and LiteLLM with
``guardrail: presidio`` (``bench.overhead.guardrail``). Every request carries the ~1,400-character
sales e-mail of ``bench/redaction/cases.py`` (``DENSE_MAIL``) with a running number in it, so
every text is new and no analysis cache can answer it. Measured, targets back to back, order
rotated per repetition:

- wrk at each concurrency (default 1 and 16): req/s, p50, p99, CPU per request (LiteLLM's:
  its workers plus both Presidio servers);
- time to the first streamed byte at concurrency 1 (sequential streams, targets alternating);
- a conversation re-sent whole each turn (``bench.overhead.conversation``): latency of turns
  1, 5, 10 and 20 (only those turns are sent);
- before all that, once: which of the e-mail's personal values each gateway let through.

Prints the section and writes it into docs/benchmarks.md (unless ``--no-docs``).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

from bench.overhead import guardrail, report
from bench.overhead import redaction_on_report as render
from bench.overhead.conversation import conversation
from bench.overhead.load import Cell, Sample, measure, wrk
from bench.overhead.servers import (
    LITELLM_VERSION,
    MODEL,
    REPO,
    Fleet,
    Server,
    free_port,
    start_kakehashi,
    start_litellm,
    start_mock,
    wait_ready,
)
from tests.support.mock_upstream import RunningUpstream

NAMES = render.NAMES
TIMEOUT = 120  # wrk's per-request timeout: LiteLLM + Presidio takes ~10 s at c=16 here


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.overhead.redaction_on")
    parser.add_argument("--seconds", type=float, default=20, help="measured time per cell")
    parser.add_argument("--warmup", type=float, default=3, help="unmeasured time before a cell")
    parser.add_argument(
        "--prewarm", type=float, default=20, help="unmeasured load on each target at the start"
    )
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--concurrency", default="1,16")
    parser.add_argument("--workers", type=int, default=2, help="per gateway")
    parser.add_argument("--streams", type=int, default=20, help="streams per target, c=1")
    parser.add_argument("--conversations", type=int, default=2, help="0: no conversation rows")
    parser.add_argument("--no-docs", action="store_true")
    return parser.parse_args(argv)


def _start(fleet: Fleet, recorder: RunningUpstream) -> dict[str, Server]:
    mock = start_mock(fleet)
    models = [{"alias": MODEL, "model": f"openai/{MODEL}", "api_base": mock.base_url},
              {"alias": guardrail.RECORDING_MODEL, "model": f"openai/{MODEL}",
               "api_base": recorder.base_url}]  # fmt: skip
    # The default profile (redaction on); a generous analysis budget so that a loaded machine
    # shows up as time, not as refusals.
    on = {"default_policy": {"allowed_models": ["*"]}, "redaction_timeout_s": 60, "models": models}
    kakehashi = start_kakehashi(fleet, mock, overrides=on, wait=False)
    analyzer = guardrail.start_presidio(fleet, "analyzer")
    anonymizer = guardrail.start_presidio(fleet, "anonymizer")
    litellm = start_litellm(
        fleet, mock, models={guardrail.RECORDING_MODEL: recorder.base_url},
        guardrails=guardrail.litellm_guardrail(analyzer, anonymizer),
    )  # fmt: skip
    stack = guardrail.Stack(**vars(litellm), members=[analyzer, anonymizer])
    wait_ready(kakehashi, kakehashi.base_url.removesuffix("/v1") + "/healthz", timeout=600)
    return {"mock": mock, "kakehashi": kakehashi, "litellm": stack}


def _load(
    args: argparse.Namespace, servers: dict[str, Server], body: Path
) -> tuple[list[Sample], list[dict[str, float]]]:
    """The wrk cells, and for each LiteLLM cell its CPU ms per request by process (its workers
    and each Presidio server) under the key ``conc``."""
    samples, parts = [], []
    stack = servers["litellm"]
    assert isinstance(stack, guardrail.Stack)
    levels = [int(c) for c in args.concurrency.split(",")]
    targets = ["kakehashi", "litellm"]
    for rep in range(args.reps):
        order = targets if rep % 2 == 0 else targets[::-1]
        for conc in levels:
            for target in order:
                # A new range of running numbers per cell: no text is ever sent twice.
                os.environ["BENCH_UNIQUE"] = str((len(samples) + 1) * 10_000_000)
                cell = Cell(target, False, conc, rep)
                server = servers[target]
                wrk(server, body=body, connections=conc, seconds=args.warmup, timeout=TIMEOUT)
                # wrk leaves its requests in flight when it stops; a gateway keeps working on
                # them. Wait until it is idle, or the slower one starts its cell with a backlog.
                settle(server)
                before = stack.parts()
                sample = measure(
                    cell, server, servers["mock"],
                    body=body, seconds=args.seconds, warmup=0, timeout=TIMEOUT,
                )  # fmt: skip
                settle(server)
                samples.append(sample)
                if target == "litellm":
                    used = {k: v - before[k] for k, v in stack.parts().items()}
                    n = max(sample.requests, 1)
                    parts.append({"conc": conc, **{k: 1000 * v / n for k, v in used.items()}})
                print(
                    f"{target:9} c={conc:<3} rep={rep} {sample.rps:8.1f} req/s "
                    f"p50={sample.p50_ms:8.1f} ms p99={sample.p99_ms:8.1f} ms "
                    f"cpu={sample.server_cpu_ms_per_req:6.1f} ms/req errors={sample.errors}",
                    flush=True,
                )
    os.environ.pop("BENCH_UNIQUE", None)
    return samples, parts


def settle(server: Server, *, limit: float = 120) -> None:
    """Wait until ``server`` (with its helpers) uses under 5 % of a core over half a second."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        before = server.cpu_seconds()
        time.sleep(0.5)
        if server.cpu_seconds() - before < 0.025:
            return
    print(f"warning: {server.name} still busy after {limit:g} s", flush=True)


def _headers(server: Server, conversation_id: str = "") -> dict[str, str]:
    headers = {"authorization": f"Bearer {server.token}"}
    if conversation_id:
        headers["x-kakehashi-conversation-id"] = conversation_id
    return headers


def _first_bytes(servers: dict[str, Server], streams: int) -> dict[str, list[tuple[float, float]]]:
    """Seconds to the first body byte of a streamed answer and to its end, sequential streams,
    targets alternating."""
    out: dict[str, list[tuple[float, float]]] = {"kakehashi": [], "litellm": []}
    with httpx.Client(timeout=120, trust_env=False) as client:
        for i in range(streams):
            for target in list(out) if i % 2 == 0 else list(out)[::-1]:
                body = guardrail.mail_body(stream=True, number=str(900_000_000 + i))
                started = time.perf_counter()
                with client.stream(
                    "POST", servers[target].chat_url, json=body, headers=_headers(servers[target])
                ) as reply:
                    if reply.status_code != 200:
                        raise RuntimeError(f"{target}: {reply.status_code} {reply.read()[:300]!r}")
                    first = None
                    for _chunk in reply.iter_raw():
                        first = first or time.perf_counter() - started
                    out[target].append((first or float("nan"), time.perf_counter() - started))
    return out


def _conversations(servers: dict[str, Server], count: int, turns: list[int]) -> dict[str, Any]:
    """Latency (s) per target per turn. Only these turns are sent (what LiteLLM costs per turn
    grows with the history, and every turn would take minutes); for Kakehashi that means fewer
    of a turn's earlier messages are in its analysis cache than in a real conversation."""
    out: dict[str, dict[int, list[float]]] = {t: {n: [] for n in turns} for t in NAMES}
    for c in range(count):
        requests = conversation(seed=7000 + c, turns=max(turns))
        for turn in turns:
            messages = requests[turn - 1]
            for target in list(NAMES) if (c + turn) % 2 == 0 else list(NAMES)[::-1]:
                server = servers[target]
                started = time.perf_counter()
                reply = httpx.post(
                    server.chat_url, json={"model": MODEL, "messages": messages},
                    headers={**_headers(server, f"guardrail-{c}"), "connection": "close"},
                    timeout=300, trust_env=False,
                )  # fmt: skip
                elapsed = time.perf_counter() - started
                if reply.status_code != 200:
                    raise RuntimeError(f"{target}: {reply.status_code} {reply.text[:300]}")
                out[target][turn].append(elapsed)
        print(f"conversation {c + 1}/{count} done", flush=True)
    return out


def _run(args: argparse.Namespace, fleet: Fleet) -> dict[str, Any]:
    recorder = RunningUpstream(free_port()).start()
    try:
        servers = _start(fleet, recorder)
        found = {
            NAMES["kakehashi"]: guardrail.leaks(
                servers["kakehashi"], recorder.app.requests, kakehashi=True
            ),
            NAMES["litellm"]: guardrail.leaks(
                servers["litellm"], recorder.app.requests, kakehashi=False
            ),
        }
    finally:
        recorder.stop()
    print(guardrail.leaks_table(found), flush=True)
    body = fleet.workdir / "mail.json"
    body.write_text(json.dumps(guardrail.mail_body(stream=False), ensure_ascii=False), "utf-8")
    # LiteLLM's first requests per worker are several times slower (lazy imports, first
    # connections to Presidio): a few seconds of warm-up per cell is not enough at ~2 req/s.
    os.environ["BENCH_UNIQUE"] = "1"
    for target in ("kakehashi", "litellm"):
        wrk(servers[target], body=body, connections=4, seconds=args.prewarm, timeout=TIMEOUT)
        settle(servers[target])
    samples, parts = _load(args, servers, body)
    first = _first_bytes(servers, args.streams)
    turns = [1, 5, 10, 20]
    talks = _conversations(servers, args.conversations, turns) if args.conversations else {}
    return {
        "found": found, "samples": samples, "parts": parts,
        "first": first, "talks": talks, "turns": turns,
    }  # fmt: skip


def _stop_on_signal(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    command = "uv run python -m bench.overhead.redaction_on " + shlex.join(
        argv if argv is not None else sys.argv[1:]
    )
    signal.signal(signal.SIGTERM, _stop_on_signal)
    signal.signal(signal.SIGHUP, _stop_on_signal)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="kakehashi-bench-") as tmp:
        fleet = Fleet(Path(tmp), args.workers)
        try:
            result = _run(args, fleet)
        finally:
            fleet.stop_all()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    raw = REPO / "bench" / "overhead" / "results" / f"{stamp}-redaction-on.json"
    raw.parent.mkdir(exist_ok=True)
    raw.write_text(json.dumps([s.to_json() for s in result["samples"]], indent=1), encoding="utf-8")
    text = render.section(args, command.strip(), result, LITELLM_VERSION)
    print("\n" + text)
    print(f"({time.monotonic() - started:.0f} s; raw samples in {raw.relative_to(REPO)})")
    if not args.no_docs:
        report.replace_section(REPO / "docs" / "benchmarks.md", text, section=render.SECTION)
    return 0


if __name__ == "__main__":
    sys.exit(main())
