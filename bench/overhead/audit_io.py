"""``uv run python -m bench.overhead.audit_io --before DIR``: the two pieces of audit I/O a chat
request pays for at concurrency 1 (issue 18), this checkout against another, interleaved.

1. The audit intent: ``Spool.put_many`` (one line and its drop, then ``fdatasync``), wall ms
   per put on the disk of ``--dir``, for this checkout's ``gateway/kernel/spool.py`` and DIR's.
2. The audit batch on SQLite: CPU ms per batch of three events through SQLAlchemy Core (the
   writer's path before issue 18) and through ``audit.writer.DirectAppender``.

The machine is shared: compare the two columns of one run, never two runs.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy import Engine, insert

from audit.chain import EventIn
from audit.models import GENESIS_HASH, AuditChainHead, AuditEvent
from audit.writer import _HEAD, _TAKE, DirectAppender, _chain
from gateway.kernel.db import Base, make_sync_engine

REPO = Path(__file__).resolve().parents[2]
RECORD = {
    "event_type": "chat.completion",
    "outcome": "error",
    "error_code": "interrupted",
    "request_id": "0" * 32,
    "user_email": "bench@example.co.jp",
    "department": "営業部",
    "model": "mock-model",
    "detail": {},
    "created_at": "2026-12-03T14:00:00+00:00",
    "_attached": {"hold": "1" * 32, "buckets": [["d:営業部:2026-12", 0, 0]]},
}


def _module(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _puts(module: ModuleType, directory: Path, n: int, tag: str) -> list[float]:
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        spool = module.Spool.create(Path(tmp), "audit")
        took, previous = [], None
        for i in range(n):
            started = time.perf_counter()
            spool.put_many({f"{tag}-{i}": RECORD}, drop=[previous] if previous else [])
            took.append((time.perf_counter() - started) * 1000)
            previous = f"{tag}-{i}"
        spool.close()
    return took


def _core(engine: Engine, events: list[EventIn]) -> None:
    """The writer's SQLite batch before issue 18 (SQLAlchemy Core, one transaction)."""
    with engine.begin() as conn:
        row = conn.execute(_TAKE, {"n": len(events)}).one()
        rows, head = _chain(events, int(row[0]), str(row[1]))
        conn.execute(insert(AuditEvent), rows)
        conn.execute(_HEAD, {"h": head})


def _event(i: int) -> EventIn:
    return EventIn(
        event_type="chat.completion",
        outcome="ok",
        request_id=f"{i:032x}",
        user_email="bench@example.co.jp",
        department="営業部",
        role="staff",
        model="mock-model",
        prompt_tokens=12,
        completion_tokens=5,
        cost_jpy=0.0123,
        latency_ms=3,
    )


def _batches(directory: Path, rounds: int, batches: int) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory(dir=directory) as tmp:
        engine = make_sync_engine(f"sqlite:///{tmp}/audit.db")
        Base.metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(insert(AuditChainHead).values(id=1, seq=0, hash=GENESIS_HASH))
        direct = DirectAppender(engine)
        ways: dict[str, Any] = {"core": lambda ev: _core(engine, ev), "direct": direct}
        cpu: dict[str, list[float]] = {name: [] for name in ways}
        for r in range(rounds):
            for name in sorted(ways, reverse=bool(r % 2)):
                started = time.process_time()
                for i in range(batches):
                    ways[name]([_event(3 * i + k) for k in range(3)])
                cpu[name].append((time.process_time() - started) / batches * 1000)
        engine.dispose()
    return cpu


def _row(name: str, values: list[float]) -> str:
    v = sorted(values)
    n = len(v)
    return (
        f"| {name} | {statistics.mean(v):.3f} | {v[n // 2]:.3f} | {v[int(n * 0.9)]:.3f} "
        f"| {v[int(n * 0.99)]:.3f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", required=True, help="another checkout (its spool module)")
    parser.add_argument("--dir", default=str(REPO), help="where the spool files are written")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--puts", type=int, default=400)
    args = parser.parse_args()
    modules = {
        "this checkout": _module("spool_this", REPO / "gateway/kernel/spool.py"),
        args.before: _module("spool_before", Path(args.before) / "gateway/kernel/spool.py"),
    }
    took: dict[str, list[float]] = {name: [] for name in modules}
    for r in range(args.rounds):
        for name in sorted(modules, reverse=bool(r % 2)):
            took[name] += _puts(modules[name], Path(args.dir), args.puts, f"r{r}")
    print("Spool.put_many, wall ms per put (one line and its drop, fdatasync)\n")
    print("| spool module | mean | p50 | p90 | p99 |\n|---|--:|--:|--:|--:|")
    for name, values in took.items():
        print(_row(name, values))
    cpu = _batches(Path(args.dir), args.rounds, 200)
    print("\nSQLite audit batch of 3 events, CPU ms per batch (median of rounds)\n")
    for name, values in cpu.items():
        print(
            f"- {name}: {statistics.median(values):.3f} ({', '.join(f'{x:.3f}' for x in values)})"
        )


if __name__ == "__main__":
    main()
