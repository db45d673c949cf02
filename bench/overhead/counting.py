"""``uv run python -m bench.overhead.counting --before DIR``: the cost of the first quota count.

A deployment with quota limits counts each prompt before the call. This starts a fresh
interpreter of each checkout (its own ``.venv``), alternately, and measures the first
``Providers().count_tokens`` for an OpenAI-wire route (CPU seconds and RSS it adds: the
tokenizer's load), then the mean of 200 more, and whether litellm got imported (issue 18).
"""

from __future__ import annotations

import argparse
import json
import subprocess
from pathlib import Path
from statistics import median

from bench.overhead.servers import REPO

_PROBE = """
import json, sys, time
from pathlib import Path
def rss():
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096 / 2**20
from gateway.kernel.settings import ModelRoute
from gateway.provider import Providers
providers, route = Providers(), ModelRoute(alias="m", model="openai/gpt-4o-mini")
messages = [{"role": "user", "content": "山田様、見積書をお送りします。"}]
rss0, cpu0 = rss(), time.process_time()
count = providers.count_tokens(route, messages, {})
cpu1, rss1 = time.process_time(), rss()
for _ in range(200):
    providers.count_tokens(route, messages, {})
print(json.dumps({"first_cpu_s": cpu1 - cpu0, "rss_mb": rss1 - rss0, "count": count,
                  "later_ms": (time.process_time() - cpu1) / 200 * 1000,
                  "litellm": "litellm" in sys.modules}))
"""


def once(root: Path) -> dict[str, float]:
    python = root / ".venv" / "bin" / "python"
    done = subprocess.run([str(python), "-c", _PROBE], cwd=root, capture_output=True, text=True,
                          check=True, timeout=600)  # fmt: skip
    result: dict[str, float] = json.loads(done.stdout)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.overhead.counting")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--before", type=Path, help="another checkout to compare, alternately")
    args = parser.parse_args(argv)
    roots = {"this": REPO} | ({"before": args.before.resolve()} if args.before else {})
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in roots}
    for rep in range(args.reps):
        for name in list(roots) if rep % 2 == 0 else list(reversed(roots)):
            runs[name].append(once(roots[name]))
            print(f"rep {rep + 1} {name}: {runs[name][-1]}")
    print("| checkout | first count, CPU s | RSS added | later counts, ms | litellm imported |")
    print("| --- | ---: | ---: | ---: | --- |")
    for name, rows in runs.items():
        print(f"| {name} | {median(r['first_cpu_s'] for r in rows):.2f} | "
              f"{median(r['rss_mb'] for r in rows):.0f} MB | "
              f"{median(r['later_ms'] for r in rows):.3f} | {rows[-1]['litellm']} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
