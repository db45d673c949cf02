"""The local spool (``gateway.kernel.spool``): what a process kept is what another process adopts
after it died, whatever the file went through (drops, a write cut short, compaction, the SQLite
format of earlier versions)."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from gateway.kernel import spool as spool_module
from gateway.kernel.spool import Spool


def _die(spool: Spool) -> None:
    """What the kernel does when the process is killed: its descriptors close, its lock goes."""
    os.close(spool._fd)
    os.close(spool._lock)


def _adopt(directory: Path, kind: str = "audit") -> dict[str, dict[str, object]]:
    """Adopt the one orphan, replay it (every record removed) and close it."""
    [orphan] = list(Spool.orphans(directory, kind))
    try:
        records = orphan.records()
        orphan.remove(list(records))
        return records
    finally:
        orphan.close()


def _adopted_after_a_cut(directory: Path) -> Spool:
    """A settle spool holding ``a`` whose process died in the middle of its next write, adopted."""
    spool = Spool.create(directory, "settle")
    spool.put("a", {"n": 1})
    _die(spool)
    with spool.path.open("ab") as file:
        file.write(b'{"k": "b", "v": {"n"')
    [again] = Spool.orphans(directory, "settle")
    return again


def test_a_dead_process_leaves_exactly_its_live_records_to_adopt(tmp_path: Path) -> None:
    spool = Spool.create(tmp_path, "audit")
    assert list(Spool.orphans(tmp_path, "audit")) == []  # locked: a live process owns it
    spool.put_many({"a": {"n": 1, "名前": "営業部"}, "b": {"n": 2}})
    spool.put_many({"c": {"n": 3}}, drop=["a"])  # a committed meanwhile
    spool.remove(["b"], sync=False)
    spool.put("b", {"n": 22})  # kept again: the last line of a key wins
    _die(spool)
    assert _adopt(tmp_path) == {"b": {"n": 22}, "c": {"n": 3}}
    assert list(tmp_path.iterdir()) == []  # adopted, replayed (emptied) and closed: gone


def test_a_write_cut_short_is_skipped_and_the_next_write_is_kept(tmp_path: Path) -> None:
    again = _adopted_after_a_cut(tmp_path)
    again.put("c", {"n": 3})
    _die(again)
    assert _adopt(tmp_path, "settle") == {"a": {"n": 1}, "c": {"n": 3}}


def test_compaction_keeps_the_live_records_and_bounds_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(spool_module, "COMPACT_BYTES", 4096)
    spool = Spool.create(tmp_path, "audit")
    spool.put("kept", {"text": "x" * 100})
    for i in range(200):
        spool.put_many({f"k{i}": {"text": "y" * 100}}, drop=[f"k{i - 1}"])
    assert spool.path.stat().st_size < 4096 + 200
    _die(spool)
    assert _adopt(tmp_path) == {"kept": {"text": "x" * 100}, "k199": {"text": "y" * 100}}


def test_a_spool_of_the_earlier_sqlite_format_is_adopted(tmp_path: Path) -> None:
    legacy = tmp_path / "audit-1-0123abcd.sqlite3"
    db = sqlite3.connect(legacy)
    db.execute("CREATE TABLE records (key TEXT PRIMARY KEY, body TEXT NOT NULL)")
    db.execute("INSERT INTO records VALUES (?, ?)", ("r1", json.dumps({"n": 1})))
    db.commit()
    db.close()
    [orphan] = list(Spool.orphans(tmp_path, "audit"))
    assert orphan.records() == {"r1": {"n": 1}}
    assert not legacy.exists()
    orphan.close()  # not replayed: kept, in the new format, for the next adopter
    assert _adopt(tmp_path) == {"r1": {"n": 1}}


def test_a_failed_write_after_a_line_cut_short_leaves_the_next_write_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    again = _adopted_after_a_cut(tmp_path)
    real = os.fdatasync

    def failing(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fdatasync", failing)  # the disk refuses this one write
    with pytest.raises(spool_module.SpoolUnwritable):
        again.put("lost", {"n": 2})
    monkeypatch.setattr(os, "fdatasync", real)
    again.put("c", {"n": 3})  # must not be glued to the fragment still ending the file
    _die(again)
    assert _adopt(tmp_path, "settle") == {"a": {"n": 1}, "c": {"n": 3}}


def test_an_unreadable_spool_of_the_sqlite_format_does_not_stop_adoption(tmp_path: Path) -> None:
    spool = Spool.create(tmp_path, "audit")
    spool.put("a", {"n": 1})
    _die(spool)
    (tmp_path / "audit-1-0.sqlite3").write_bytes(b"not a database, a disk's garbage" * 64)
    assert _adopt(tmp_path) == {"a": {"n": 1}}
    assert (tmp_path / "audit-1-0.sqlite3").exists()  # kept for a person to look at


def test_an_unreadable_spool_is_left_unlocked_and_does_not_stop_adoption(tmp_path: Path) -> None:
    spool = Spool.create(tmp_path, "audit")
    spool.put("a", {"n": 1})
    _die(spool)
    broken = tmp_path / f"audit-1-00000000{spool_module.SUFFIX}"
    broken.mkdir()  # cannot be opened as a file: what an I/O error on open looks like
    assert _adopt(tmp_path) == {"a": {"n": 1}}
    assert broken.exists()  # kept for a person to look at
    lock = spool_module._lock(
        broken
    )  # the scan let go of its lock: the next scan (or a person) can take it
    assert lock is not None
    os.close(lock)


def test_lines_are_written_over_zeros_laid_ahead_and_read_back_without_them(
    tmp_path: Path,
) -> None:
    spool = Spool.create(tmp_path, "audit")
    spool.put("a", {"n": 1})
    laid = spool.path.stat().st_size
    assert laid == spool_module.PREALLOCATE + spool._size  # the size changes once per 256 KiB
    spool.put_many({"b": {"n": 2}}, drop=["a"])
    assert spool.path.stat().st_size == laid  # a put within the zeros: data only to sync
    _die(spool)
    [again] = list(Spool.orphans(tmp_path, "audit"))
    assert again.records() == {"b": {"n": 2}}
    again.put("c", {"n": 3})  # after the lines, not after the zeros
    assert again.path.stat().st_size == laid
    _die(again)
    assert _adopt(tmp_path) == {"b": {"n": 2}, "c": {"n": 3}}
