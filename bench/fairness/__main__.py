"""``uv run python -m bench.fairness``: other users' latency while one user floods redaction.

Starts the mock upstream and Kakehashi (``kakehashi serve``, SQLite, redaction on with the
default profile, real API keys for one heavy and several light users) on 127.0.0.1. Light users
each send a short, realistic prompt in a closed loop; the phases add, for the same time, one
user sending four 200,000-character prompts at once and again as each ends — waiting for the
answers, or giving up after two seconds (the abandoned analyses of issue 12). Prints each
phase's light-user p50/p99, errors, the heavy user's outcomes and how busy the machine was
with other people's work (it is shared). Every started process is stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.overhead.servers import (
    MODEL,
    REPO,
    Fleet,
    Server,
    free_port,
    kakehashi_env,
    start_mock,
    wait_ready,
)

LIGHT_PROMPT = (
    "株式会社ミライ精工の山田太郎様から、来月の納品日について問い合わせがありました。"
    "電話 03-1234-5678 で折り返す前に、丁寧な返信メールの下書きを三行で作ってください。"
)
PARAGRAPH = (
    "田中: 次に第3四半期の売上見込みについて、営業部から報告をお願いします。\n"
    "佐藤: はい。主要顧客への提案は順調で、前年比で一割ほどの増加を見込んでいます。\n"
)
HEAVY_CHARS = 200_000


@dataclass
class Phase:
    name: str
    light: list[float] = field(default_factory=list)  # seconds, successful requests
    light_errors: Counter[str] = field(default_factory=Counter)
    heavy: Counter[str] = field(default_factory=Counter)
    others_cores: float = 0.0  # CPU used by processes other than ours, in cores

    def summary(self) -> dict[str, object]:
        ms = sorted(x * 1000 for x in self.light)
        q = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else ms * 99
        return {
            "phase": self.name,
            "light_ok": len(ms),
            "light_p50_ms": round(statistics.median(ms), 1) if ms else None,
            "light_p99_ms": round(q[98], 1) if ms else None,
            "light_max_ms": round(ms[-1], 1) if ms else None,
            "light_errors": dict(self.light_errors),
            "heavy": dict(self.heavy),
            "others_cores": round(self.others_cores, 2),
        }


def _config(fleet: Fleet, mock: Server, port: int, workers: int) -> Path:
    config = {
        "mode": "production",
        "database": {"url": f"sqlite:///{fleet.workdir / 'kakehashi.db'}"},
        "server": {"host": "127.0.0.1", "port": port, "workers": workers},
        "models": [{"alias": MODEL, "model": f"openai/{MODEL}", "api_base": mock.base_url}],
        # The shipped default profile: every type redacted, max_prompt_chars 200,000.
        "default_policy": {"allowed_models": ["*"]},
    }
    path = fleet.workdir / "kakehashi.yaml"
    path.write_text(json.dumps(config, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def _start(
    fleet: Fleet, mock: Server, users: list[str], workers: int, tree: Path | None
) -> tuple[Server, list[str]]:
    """Kakehashi from this tree, or from ``tree`` (another revision's files, same venv)."""
    port = free_port()
    config = _config(fleet, mock, port, workers)
    env = kakehashi_env()
    cli = [sys.executable, "-m", "gateway"]
    if tree is not None:
        # -P: the working directory (this tree) is not put first on sys.path, so the other
        # revision's packages on PYTHONPATH win over the editable install of this tree.
        cli = [sys.executable, "-P", "-m", "gateway"]
        env["PYTHONPATH"] = str(tree)
    cwd = tree or REPO
    subprocess.run([*cli, "db", "upgrade", "--config", str(config)], env=env, cwd=cwd,
                   check=True, capture_output=True)  # fmt: skip
    keys = []
    for user in users:
        created = subprocess.run(
            [*cli, "keys", "create", "--config", str(config), "--user", user,
             "--department", "営業部", "--name", "bench-fairness"],
            cwd=cwd, env=env, check=True, capture_output=True, text=True,
        )  # fmt: skip
        keys.append(created.stdout.strip().splitlines()[0])
    cmd = [*cli, "serve", "--config", str(config), "--workers", str(workers)]
    server = fleet.spawn("kakehashi", cmd, env=env, base_url=f"http://127.0.0.1:{port}/v1")
    wait_ready(server, f"http://127.0.0.1:{port}/healthz", timeout=180)
    return server, keys


def _busy() -> float:
    """Busy seconds summed over all cores since boot (/proc/stat, idle and iowait excluded)."""
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def _body(content: str) -> dict[str, object]:
    return {"model": MODEL, "messages": [{"role": "user", "content": content}]}


async def _light(client: httpx.AsyncClient, url: str, key: str, phase: Phase, end: float) -> None:
    headers = {"authorization": f"Bearer {key}"}
    while time.monotonic() < end:
        started = time.monotonic()
        try:
            reply = await client.post(url, json=_body(LIGHT_PROMPT), headers=headers, timeout=60)
        except httpx.HTTPError as exc:
            phase.light_errors[type(exc).__name__] += 1
            continue
        if reply.status_code == 200:
            phase.light.append(time.monotonic() - started)
        else:
            phase.light_errors[str(reply.status_code)] += 1
            await asyncio.sleep(0.1)


async def _heavy(
    client: httpx.AsyncClient, url: str, key: str, phase: Phase, end: float, give_up: float
) -> None:
    headers = {"authorization": f"Bearer {key}"}
    text = (PARAGRAPH * (HEAVY_CHARS // len(PARAGRAPH) + 1))[:HEAVY_CHARS]
    while time.monotonic() < end:
        try:
            reply = await client.post(url, json=_body(text), headers=headers, timeout=give_up)
            phase.heavy[str(reply.status_code)] += 1
        except httpx.TimeoutException:
            phase.heavy["abandoned"] += 1
        except httpx.HTTPError as exc:
            phase.heavy[type(exc).__name__] += 1


async def _phase(
    server: Server, keys: list[str], name: str, seconds: float, give_up: float | None
) -> Phase:
    phase = Phase(name)
    end = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(trust_env=False, limits=limits) as client:
        tasks = [_light(client, server.chat_url, k, phase, end) for k in keys[1:]]
        if give_up is not None:
            tasks += [
                _heavy(client, server.chat_url, keys[0], phase, end, give_up) for _ in range(4)
            ]
        await asyncio.gather(*tasks)
    return phase


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.fairness", description=__doc__)
    parser.add_argument("--seconds", type=float, default=60, help="time per phase")
    parser.add_argument("--light-users", type=int, default=4)
    parser.add_argument("--workers", type=int, default=1, help="gateway workers (default 1)")
    parser.add_argument("--rev", help="also run the gateway of this git revision, afterwards")
    return parser.parse_args(argv)


def _export(rev: str, into: Path) -> Path:
    """The files of ``rev`` (git archive: the repository is not touched)."""
    archive = subprocess.run(
        ["git", "archive", rev], cwd=REPO, check=True, capture_output=True
    ).stdout
    into.mkdir()
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def _target(args: argparse.Namespace, tmp: Path, label: str, tree: Path | None) -> list[object]:
    users = ["heavy@example.co.jp"] + [f"light{i}@example.co.jp" for i in range(args.light_users)]
    plan = [("baseline", None), ("4x200k, waiting", 600.0), ("4x200k, abandoned at 2 s", 2.0)]
    fleet = Fleet(tmp, args.workers)
    results: list[object] = []
    try:
        mock = start_mock(fleet)
        server, keys = _start(fleet, mock, users, args.workers, tree)
        for name, give_up in plan:
            ours = [server, mock]
            busy, cpu, own = _busy(), sum(x.cpu_seconds() for x in ours), time.process_time()
            phase = asyncio.run(_phase(server, keys, f"{label}: {name}", args.seconds, give_up))
            used = sum(x.cpu_seconds() for x in ours) - cpu + time.process_time() - own
            phase.others_cores = max(_busy() - busy - used, 0) / args.seconds
            results.append(phase.summary())
            print(json.dumps(results[-1], ensure_ascii=False), flush=True)
    finally:
        fleet.stop_all()
    return results


def main(argv: list[str] | None = None) -> None:
    args = _args(argv)
    with tempfile.TemporaryDirectory(prefix="kakehashi-fairness-") as tmp:
        results = _target(args, Path(tmp), "this tree", None)
        if args.rev:
            old = Path(tmp) / "old"
            old.mkdir()
            results += _target(args, old, args.rev, _export(args.rev, old / "tree"))
    print(json.dumps({"args": vars(args), "results": results}, ensure_ascii=False))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
