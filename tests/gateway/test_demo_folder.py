"""A restart of ``kakehashi demo``: the same week keeps the demo (its dates relative to the seed
day); later, with ``--fresh`` or for an undated folder, the old demo moves aside, never lost."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from gateway.demo.folder import KEEP_DAYS, demo_day, mark_seeded

SEEDED = date(2026, 12, 3)


def _demo(data_dir: Path) -> Path:
    data_dir.mkdir()
    (data_dir / "kakehashi.db").write_bytes(b"demo")
    (data_dir / "demo-api-key.txt").write_text("kk_x\n")
    mark_seeded(data_dir=data_dir, day=SEEDED)
    return data_dir


def test_a_new_folder_starts_today_and_a_restart_that_week_keeps_the_seed_day(
    tmp_path: Path,
) -> None:
    assert demo_day(data_dir=tmp_path / "none", today=SEEDED).day == SEEDED
    folder = _demo(tmp_path / "demo")
    later = SEEDED + timedelta(days=KEEP_DAYS)
    kept = demo_day(data_dir=folder, today=later)
    assert (kept.day, kept.moved_to) == (SEEDED, None)
    assert (folder / "kakehashi.db").exists()


def test_a_later_day_fresh_or_undated_folder_moves_the_old_demo_aside(tmp_path: Path) -> None:
    folder = _demo(tmp_path / "demo")
    later = SEEDED + timedelta(days=KEEP_DAYS + 1)
    moved = demo_day(data_dir=folder, today=later)
    assert moved.day == later
    assert moved.moved_to == folder / f"previous-{SEEDED}"
    assert (moved.moved_to / "kakehashi.db").read_bytes() == b"demo"
    assert not (folder / "kakehashi.db").exists()
    assert (folder / "demo-api-key.txt").exists()  # reused if the new database knows it (it won't)
    mark_seeded(data_dir=folder, day=later)
    (folder / "kakehashi.db").write_bytes(b"second")
    again = demo_day(data_dir=folder, today=later, fresh=True)
    assert again.moved_to == folder / f"previous-{later}"
    (folder / "kakehashi.db").write_bytes(b"undated")  # an older version's folder: no seed day
    undated = demo_day(data_dir=folder, today=later)
    assert undated.moved_to == folder / "previous-undated"
    assert demo_day(data_dir=_demo(tmp_path / "clock"), today=SEEDED - timedelta(days=1)).moved_to
