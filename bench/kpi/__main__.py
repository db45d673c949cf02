"""KPI dashboard queries on a year of synthetic events, on SQLite and PostgreSQL.

    uv run python -m bench.kpi

300 people in 6 departments, 200,000 chat requests over the 365 days before the run date
(working hours, Tokyo), about 30,000 ratings and 5,000 other events, chained with the real
hash function and inserted through the real schema (migrations). Then each query the
dashboard, the monthly report and the admin log page run is timed 20 times after 3 warm-ups,
through the same async code the gateway uses. Rewrites the ``## KPI queries`` section of
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, text, update

from audit import kpi, periods, search
from audit.chain import EventIn, event_hash
from audit.models import AuditChainHead, AuditEvent, Feedback
from bench.overhead.report import replace_section
from gateway.kernel.db import make_async_engine, make_sync_engine, sessionmaker
from gateway.migrate import upgrade
from policies.model import Policy, Trial, TrialTargets
from policies.resolve import PolicySet

REPO = Path(__file__).resolve().parents[2]
COMMAND = "uv run python -m bench.kpi"
SECTION = "## KPI queries"
TOKYO = ZoneInfo("Asia/Tokyo")
DEPARTMENTS = ["営業部", "総務部", "経理部", "製造部", "開発部", "人事部"]
USE_CASES = ["chat", "email_draft", "summary", "minutes", "manual_draft"]
TYPES = ["PERSON", "COMPANY", "PHONE", "EMAIL", "CUSTOMER", "ADDRESS"]


def synthetic(
    today: date, requests: int, seed: int = 7
) -> tuple[list[EventIn], list[dict[str, Any]]]:
    rng = random.Random(seed)
    users = [(f"user{i:03d}@example.co.jp", DEPARTMENTS[i % len(DEPARTMENTS)]) for i in range(300)]
    start = datetime.combine(today - timedelta(days=365), datetime.min.time(), TOKYO)
    events: list[EventIn] = []
    for i in range(requests + 5000):
        day = start + timedelta(days=rng.randrange(365))
        at = (day + timedelta(hours=rng.uniform(9, 19))).astimezone(UTC)
        email, department = rng.choice(users)
        if i >= requests:
            events.append(
                EventIn("auth.login", "ok", user_email=email, department=department, created_at=at)
            )
            continue
        roll = rng.random()
        outcome = "ok" if roll < 0.93 else "refused" if roll < 0.97 else "error"
        redactions = {rng.choice(TYPES): rng.randint(1, 3)} if rng.random() < 0.3 else {}
        events.append(
            EventIn(
                "chat.completion",
                outcome,
                status_code=200 if outcome == "ok" else 429 if outcome == "refused" else 502,
                error_code=None
                if outcome == "ok"
                else "quota_exceeded"
                if outcome == "refused"
                else "upstream_error",
                request_id=f"req{i:07d}",
                user_email=email,
                department=department,
                role="staff",
                model=rng.choice(["gpt-4o-mini", "gpt-4o"]),
                use_case=rng.choice(USE_CASES),
                prompt_tokens=rng.randint(50, 2000) if outcome == "ok" else 0,
                completion_tokens=rng.randint(50, 1000) if outcome == "ok" else 0,
                cost_jpy=round(rng.uniform(0.1, 5), 3) if outcome == "ok" else 0.0,
                latency_ms=rng.randint(300, 8000),
                redactions=redactions,
                created_at=at,
            )
        )
    events.sort(key=lambda e: e.created_at)
    rated = [e for e in events if e.request_id and e.outcome == "ok" and rng.random() < 0.16]
    feedback = [
        {
            "request_id": e.request_id,
            "user_email": e.user_email,
            "department": e.department,
            "use_case": e.use_case,
            "rating": rng.randint(1, 5),
            "helpful": None,
            "reason": None,
            "minutes_saved": rng.choice([None, None, 5.0, 10.0, 30.0]),
            "created_at": e.created_at,
            "updated_at": e.created_at,
        }
        for e in rated
    ]
    return events, feedback


def load(url: str, events: list[EventIn], feedback: list[dict[str, Any]]) -> float:
    started = time.perf_counter()
    upgrade(url)
    engine = make_sync_engine(url)
    prev, rows = "0" * 64, []
    for seq, event in enumerate(events, start=1):
        columns = event.columns()
        digest = event_hash(prev, seq, columns)
        rows.append({**columns, "seq": seq, "prev_hash": prev, "hash": digest})
        prev = digest
    with engine.begin() as conn:
        for i in range(0, len(rows), 5000):
            conn.execute(insert(AuditEvent), rows[i : i + 5000])
        for i in range(0, len(feedback), 5000):
            conn.execute(insert(Feedback), feedback[i : i + 5000])
        conn.execute(update(AuditChainHead).values(seq=len(rows), hash=prev))
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    engine.dispose()
    return time.perf_counter() - started


def policies(today: date) -> PolicySet:
    trial = Trial(
        start=today - timedelta(days=60),
        end=today + timedelta(days=29),
        eligible_users=50,
        targets=TrialTargets(hours_saved_per_week=10, active_user_share=0.6),
    )
    return PolicySet(
        default=Policy(),
        by_department={d: Policy(department=d, trial=trial) for d in DEPARTMENTS},
    )


Query = Callable[[Any], Awaitable[object]]


def queries(today: date, policy_set: PolicySet) -> dict[str, Query]:
    # The last complete month and week: full of data, like a monthly review.
    month = periods.period_of("month", today.replace(day=1) - timedelta(days=1))
    week = periods.period_of("week", today - timedelta(days=7))

    def compute(department: str | None, period: periods.Period) -> Query:
        return lambda s: kpi.compute(
            session=s,
            policies=policy_set,
            department=department,
            period=period,
            tz=TOKYO,
            as_of=today,
        )

    trial = policy_set.for_department("営業部").trial
    assert trial is not None
    return {
        "KPIs, one department, last month": compute("営業部", month),
        "KPIs, one department, last week": compute("営業部", week),
        "KPIs, all departments, last month": compute(None, month),
        "KPIs, all departments, last week": compute(None, week),
        "weekly series over the 90-day trial (report, CSV)": lambda s: kpi.weekly(
            session=s, policies=policy_set, department="営業部", start=trial.start,
            end=trial.end + timedelta(days=1), tz=TOKYO, as_of=today,
        ),
        "admin log page: newest 100 of one department": lambda s: search.events(
            session=s, filters=search.Filters(department="営業部"), tz=TOKYO, limit=100
        ),
    }  # fmt: skip


async def time_queries(
    url: str, named: dict[str, Query], runs: int
) -> dict[str, tuple[float, float]]:
    engine = make_async_engine(url)
    results: dict[str, tuple[float, float]] = {}
    try:
        for name, query in named.items():
            samples = []
            for i in range(runs + 3):
                async with sessionmaker(engine)() as session:
                    started = time.perf_counter()
                    await query(session)
                    if i >= 3:
                        samples.append((time.perf_counter() - started) * 1000)
            samples.sort()
            p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
            results[name] = (statistics.median(samples), p95)
    finally:
        await engine.dispose()
    return results


def render(
    results: dict[str, dict[str, tuple[float, float]]], loads: dict[str, float], n: int, runs: int
) -> str:
    names = list(next(iter(results.values())))
    lines = [
        SECTION,
        "",
        f"Command: `{COMMAND}` (run {date.today().isoformat()}, 2 cores shared with other work; "
        f"load average {os.getloadavg()[0]:.1f} at the end).",
        "",
        f"A year of synthetic events: 300 people in 6 departments, {n:,} chat requests plus 5,000 "
        "sign-in events, ~16% of answers rated; real schema, real hash chain, `ANALYZE` after "
        f"loading. Each query through the gateway's own async code, {runs} runs after 3 warm-ups.",
        "",
        "| query | SQLite p50 (ms) | SQLite p95 | PostgreSQL p50 (ms) | PostgreSQL p95 |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in names:
        sq, pg = results["sqlite"][name], results["postgresql"][name]
        lines.append(f"| {name} | {sq[0]:.1f} | {sq[1]:.1f} | {pg[0]:.1f} | {pg[1]:.1f} |")
    lines += [
        "",
        f"Loading the year took {loads['sqlite']:.0f} s on SQLite and {loads['postgresql']:.0f} s "
        "on PostgreSQL (chain hashing included). The KPI queries read one department's month "
        "through `ix_audit_events_department_created_at`, join ratings through "
        "`uq_feedback_request_id`, and expand redaction counts with `json_each` in the database.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--no-docs", action="store_true")
    args = parser.parse_args()
    from tests.fixtures.services import running_postgres

    today = datetime.now(TOKYO).date()
    events, feedback = synthetic(today, args.requests)
    named = queries(today, policies(today))
    results: dict[str, dict[str, tuple[float, float]]] = {}
    loads: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp, running_postgres() as pg:
        targets = {"sqlite": f"sqlite:///{tmp}/kpi.db", "postgresql": pg.create_database()}
        for name, url in targets.items():
            loads[name] = load(url, events, feedback)
            results[name] = asyncio.run(time_queries(url, named, args.runs))
            print(name, {k: f"{v[0]:.1f}/{v[1]:.1f} ms" for k, v in results[name].items()})
    body = render(results, loads, args.requests, args.runs)
    print(body)
    if not args.no_docs:
        replace_section(REPO / "docs" / "benchmarks.md", body, SECTION)


if __name__ == "__main__":
    main()
