"""The demo folder across starts: what ``kakehashi demo`` keeps and when it starts over.

Everything the demo writes (the synthetic history, the trials, the policies in the database)
is dated relative to the day it was first seeded, and audit rows are never rewritten. So a
restart keeps the folder while those dates still make every stage sensible (a trial running,
a review coming, a proposal starting in the future): up to ``KEEP_DAYS`` after the seed day.
Past that, or with ``--fresh``, or for a folder without a seed day (written by an older
version), the old database moves aside into ``previous-<day>/`` (kept, never deleted) and the
demo seeds again around today. Demo mode only.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

KEEP_DAYS = 7  # the submitted demo trial starts 14 days after the seed day: still ahead
SEEDED_ON = "seeded-on.txt"
DATABASE = "kakehashi.db"
_MOVED = (DATABASE, f"{DATABASE}-wal", f"{DATABASE}-shm", "kakehashi-spool", "policies")


@dataclass(frozen=True)
class DemoDay:
    """The day the demo's dates are relative to, and what happened to an older folder."""

    day: date
    moved_to: Path | None = None  # where the previous demo went (None: kept or new)


def seeded_on(data_dir: Path) -> date | None:
    try:
        return date.fromisoformat((data_dir / SEEDED_ON).read_text("utf-8").strip())
    except (OSError, ValueError):
        return None


def demo_day(*, data_dir: Path, today: date, fresh: bool = False) -> DemoDay:
    """Keep the folder (its seed day) or move the old demo aside and start from ``today``."""
    seeded = seeded_on(data_dir)
    if not (data_dir / DATABASE).exists():
        return DemoDay(today)
    if not fresh and seeded is not None and 0 <= (today - seeded).days <= KEEP_DAYS:
        return DemoDay(seeded)
    target = _free(data_dir / f"previous-{seeded or 'undated'}")
    target.mkdir(parents=True)
    for name in _MOVED:
        if (data_dir / name).exists():
            shutil.move(data_dir / name, target / name)
    (data_dir / SEEDED_ON).unlink(missing_ok=True)
    return DemoDay(today, moved_to=target)


def mark_seeded(*, data_dir: Path, day: date) -> None:
    """Remember the seed day (written after a successful seed, so a failed one seeds again)."""
    (data_dir / SEEDED_ON).write_text(f"{day.isoformat()}\n", "utf-8")


def _free(path: Path) -> Path:
    n = 1
    candidate = path
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}-{n}")
    return candidate
