"""The demo's trial: the example policies, a synthetic 60-day history and one reusable key.

``kakehashi demo`` should show the product on first run: budgets, blocking, a trial with
targets and a filled dashboard. So the example policies (``policies/examples``) are copied into
the demo folder with the trial dates moved to end today's 60th day and the offline demo model
allowed; and 60 days of made-up usage are written once (three departments, use growing, ratings
and minutes saved), every event labelled ``synthetic`` in its detail and by a
``demo.seeded`` event. Demo mode only; nothing here runs in production.
"""

from __future__ import annotations

import random
import re
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

import policies
from audit.chain import EventIn
from audit.models import AuditEvent, Feedback
from audit.writer import append_batch
from gateway.kernel.vocab import ErrorCode, EventType, Outcome

DAYS = 60
EXAMPLES = Path(policies.__file__).parent / "examples"


@dataclass(frozen=True)
class Team:
    department: str
    prefix: str
    people: int  # how many use it by the end
    per_day: int  # requests per working day at the end
    use_cases: tuple[str, ...]


TEAMS = (
    Team("営業部", "sales", 18, 45, ("email_draft", "email_draft", "summary", "minutes", "chat")),
    Team("総務部", "soumu", 7, 16, ("manual_draft", "summary", "chat", "email_draft")),
    Team("情報システム部", "it", 5, 14, ("manual_draft", "chat", "summary")),
)


def trial_start(today: date) -> date:
    return today - timedelta(days=DAYS - 1)


def prepare_policies(*, data_dir: Path, today: date, model_alias: str) -> Path:
    """The example policies under ``data_dir/policies``, rewritten at each start: trial dates
    around today, and the demo model allowed wherever a department lists its models."""
    target = data_dir / "policies"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(EXAMPLES, target)
    start = trial_start(today)
    for path in target.glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"(?m)^  start: \d{4}-\d{2}-\d{2}", f"  start: {start}", text)
        text = re.sub(r"(?m)^  end: \d{4}-\d{2}-\d{2}", f"  end: {start + timedelta(89)}", text)
        text = re.sub(
            r"(?m)^allowed_models:\n",
            f"allowed_models:\n  - {model_alias}  # kakehashi demo\n",
            text,
        )
        path.write_text(text, encoding="utf-8")
    return target


def _moment(day: date, rng: random.Random, tz: ZoneInfo) -> datetime:
    at = time(hour=rng.randint(9, 18), minute=rng.randint(0, 59), second=rng.randint(0, 59))
    return datetime.combine(day, at, tz).astimezone(UTC)


def _day(team: Team, day: date, index: int, rng: random.Random, tz: ZoneInfo) -> list[EventIn]:
    """One team's requests on one day: weekdays only, growing over the trial."""
    if day.weekday() >= 5:
        return []
    share = 0.15 + 0.85 * index / (DAYS - 1)
    people = max(1, round(team.people * share))
    count = max(1, round(team.per_day * share * rng.uniform(0.7, 1.2)))
    events = []
    for _ in range(count):
        person = rng.randint(1, people)
        prompt, completion = rng.randint(300, 2500), rng.randint(200, 1200)
        refused = rng.random() < 0.03
        events.append(
            EventIn(
                event_type=EventType.CHAT_COMPLETION,
                outcome=Outcome.REFUSED if refused else Outcome.OK,
                status_code=400 if refused else 200,
                error_code=ErrorCode.CONTENT_BLOCKED if refused else None,
                request_id=uuid.uuid4().hex,
                user_email=f"{team.prefix}{person:02d}@demo.kakehashi.example",
                department=team.department,
                role="staff",
                model="gpt-4o-mini",
                use_case=rng.choice(team.use_cases),
                prompt_tokens=0 if refused else prompt,
                completion_tokens=0 if refused else completion,
                cost_jpy=0.0 if refused else round((prompt * 0.15 + completion * 0.6) * 150e-6, 4),
                latency_ms=rng.randint(800, 6000),
                redactions={} if refused else _redactions(rng),
                detail={"synthetic": True, "blocked": ["MY_NUMBER"]}
                if refused
                else {"synthetic": True},
                created_at=_moment(day, rng, tz),
            )
        )
    return sorted(events, key=lambda e: e.created_at)


def _redactions(rng: random.Random) -> dict[str, int]:
    found = {"PERSON": rng.randint(0, 3), "COMPANY": rng.randint(0, 2), "PHONE": rng.randint(0, 1)}
    return {k: v for k, v in found.items() if v}


def _feedback(event: EventIn, rng: random.Random) -> dict[str, object] | None:
    """About a third of the answers are rated; most well, some with the minutes saved."""
    if event.outcome != Outcome.OK or rng.random() > 0.35:
        return None
    rating = rng.choices([5, 4, 3, 2, 1], weights=[30, 40, 18, 8, 4])[0]
    minutes = float(rng.choice([5, 10, 15, 20, 30])) if rating >= 4 and rng.random() < 0.4 else None
    return {
        "request_id": event.request_id,
        "user_email": event.user_email,
        "department": event.department,
        "use_case": event.use_case,
        "rating": rating,
        "helpful": rating >= 3,
        "minutes_saved": minutes,
        "created_at": event.created_at,
        "updated_at": event.created_at,
    }


async def seed_history(*, session: AsyncSession, today: date, timezone: str) -> int:
    """Write the synthetic history once (a ``demo.seeded`` event marks it); returns how many
    requests were written (0 when already there)."""
    done = await session.scalar(
        select(func.count()).where(AuditEvent.event_type == EventType.DEMO_SEEDED)
    )
    if done:
        return 0
    rng = random.Random(14)  # noqa: S311 - made-up demo data, the same on every machine
    tz = ZoneInfo(timezone)
    start = trial_start(today)
    events = [
        event
        for index in range(DAYS - 1)  # up to yesterday: today belongs to whoever tries the demo
        for team in TEAMS
        for event in _day(team, start + timedelta(days=index), index, rng, tz)
    ]
    events.sort(key=lambda e: e.created_at)
    for first in range(0, len(events), 500):
        await append_batch(session, events[first : first + 500])
    rows = [row for row in (_feedback(e, rng) for e in events) if row is not None]
    if rows:
        await session.execute(insert(Feedback), rows)
    label = {"synthetic": True, "days": DAYS, "requests": len(events)}
    await append_batch(
        session, [EventIn(event_type=EventType.DEMO_SEEDED, outcome=Outcome.OK, detail=label)]
    )
    return len(events)
