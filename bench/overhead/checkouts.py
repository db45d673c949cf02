"""``uv run python -m bench.overhead.checkouts DIR...``: CPU per request of several source trees
side by side (one worker each, redaction off, SQLite), to find where an overhead regression
came from (issue 18). Each DIR is a source tree, e.g. ``git archive <commit> | tar -x -C DIR``;
its server runs this venv with ``PYTHONPATH=DIR`` (same libraries, that tree's code). Cells
interleaved, order rotated per round; medians of the server's CPU ms per request (from /proc,
robust to other load) and of req/s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.overhead.load import Cell, measure
from bench.overhead.servers import (
    MODEL,
    Fleet,
    Server,
    chat_body,
    check_answers,
    free_port,
    kakehashi_env,
    migrated_with_key,
    start_mock,
    wait_ready,
)

CLI = str(Path(sys.executable).parent / "kakehashi")


def start(fleet: Fleet, mock: Server, src: str, extra: dict) -> Server:
    name = Path(src).name
    port = free_port()
    work = fleet.workdir / name
    work.mkdir()
    config = {
        "mode": "production",
        "database": {"url": f"sqlite:///{work / 'k.db'}"},
        "server": {"host": "127.0.0.1", "port": port, "workers": 1},
        "models": [{"alias": MODEL, "model": f"openai/{MODEL}", "api_base": mock.base_url}],
        "default_policy": {"allowed_models": ["*"], "redaction": {"redact": [], "block": []}},
        **extra,
    }
    path = work / "k.yaml"
    path.write_text(json.dumps(config, ensure_ascii=False))
    env = kakehashi_env()
    env["PYTHONPATH"] = src
    token = migrated_with_key(CLI, path, cwd=src, env=env)
    log = work / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [CLI, "serve", "--config", str(path), "--workers", "1"],
            cwd=src,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    server = Server(name, proc, f"http://127.0.0.1:{port}/v1", token, log)
    fleet.servers.append(server)
    return server


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("dirs", nargs="+")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--seconds", type=float, default=5)
    p.add_argument("--conc", default="16")
    p.add_argument("--stream", action="store_true")
    p.add_argument("--extra", default="{}")
    a = p.parse_args()
    extra = json.loads(a.extra)
    with tempfile.TemporaryDirectory(prefix="regress-") as tmp:
        fleet = Fleet(Path(tmp), 1)
        try:
            mock = start_mock(fleet)
            servers = [start(fleet, mock, d, extra) for d in a.dirs]
            for s in servers:
                wait_ready(s, s.base_url.removesuffix("/v1") + "/healthz", timeout=900)
                check_answers(s)
            body = Path(tmp) / "body.json"
            body.write_text(json.dumps(chat_body(stream=a.stream), ensure_ascii=False))
            res: dict[tuple[str, int], list] = {}
            for r in range(a.rounds):
                order = servers[r % len(servers) :] + servers[: r % len(servers)]
                for conc in [int(c) for c in a.conc.split(",")]:
                    for s in order:
                        smp = measure(
                            Cell(s.name, a.stream, conc, r),
                            s,
                            mock,
                            body=body,
                            seconds=a.seconds,
                            warmup=1,
                        )
                        res.setdefault((s.name, conc), []).append(smp)
                        print(
                            f"r{r} c={conc} {s.name:10} cpu/req={smp.server_cpu_ms_per_req:.3f} ms"
                            f" rps={smp.rps:7.1f} p50={smp.p50_ms:.2f} err={smp.errors}"
                            f" others={smp.others_busy_s / smp.seconds:.2f}",
                            flush=True,
                        )
            print("\nname conc  cpu_ms/req(median)  [all]  rps(median)  p50")
            for (name, conc), smps in res.items():
                cpus = [x.server_cpu_ms_per_req for x in smps]
                print(
                    f"{name:10} c={conc:<3} {statistics.median(cpus):.3f} "
                    f"{[round(c, 3) for c in cpus]} rps={statistics.median(x.rps for x in smps):.0f}"
                    f" p50={statistics.median(x.p50_ms for x in smps):.2f}"
                )
        finally:
            fleet.stop_all()


if __name__ == "__main__":
    main()
