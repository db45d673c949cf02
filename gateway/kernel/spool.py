"""A durable local record for writes that must not be lost when a shared store fails.

Each gateway process keeps its own SQLite file in ``spool_dir`` (``<kind>-<pid>-<id>.sqlite3``)
and holds an exclusive ``flock`` on it while it lives. Every write is committed with
``synchronous=FULL`` (fsync'd): a record survives SIGKILL and power loss (``fsync=False``:
SIGKILL only, for disks where an fsync costs too much per request). When a process dies,
the kernel drops its lock; any live process of the same deployment then *adopts* the file
(``orphans``), replays its records into the shared store and deletes it. Several workers and
replicas can share one directory without ever replaying each other's live records.

Records are small JSON objects keyed by a string (a request id, a hold id). The calls are
blocking (SQLite): callers run them in a worker thread. Owns nothing about what is recorded.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_SCHEMA = "CREATE TABLE IF NOT EXISTS records (key TEXT PRIMARY KEY, body TEXT NOT NULL)"


class SpoolUnwritable(OSError):
    """The spool cannot take a write: a full or read-only disk (SQLite says "database or disk
    is full", "disk I/O error", "attempt to write a readonly database"). An ``OSError`` like the
    file system's own, so callers have one thing to catch."""


class Spool:
    """One process's spool file of one kind (``audit``, ``settle``)."""

    def __init__(self, path: Path, lock: int, *, fsync: bool = True) -> None:
        self.path = path
        self._lock = lock  # the open file descriptor holding the flock
        # check_same_thread=False: callers hop through anyio's worker threads; one call at a
        # time per spool (the ``threading`` lock of sqlite3 itself serialises them anyway).
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        # FULL: each commit is fsync'd (survives power loss). NORMAL: written to the OS at
        # each commit, fsync'd at checkpoints: survives the process's death (SIGKILL, OOM),
        # not the machine's; a few milliseconds less per write on ordinary disks.
        self._db.execute(f"PRAGMA synchronous={'FULL' if fsync else 'NORMAL'}")
        self._db.execute(_SCHEMA)

    @classmethod
    def create(cls, directory: Path, kind: str, *, fsync: bool = True) -> Spool:
        """A new, locked spool file for this process."""
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{kind}-{os.getpid()}-{uuid.uuid4().hex[:8]}.sqlite3"
        lock = _lock(path)
        if lock is None:  # cannot happen: the name is new
            raise RuntimeError(f"spool {path} is locked by another process")
        try:
            return cls(path, lock, fsync=fsync)
        except sqlite3.Error as exc:
            os.close(lock)
            for suffix in ("", "-wal", "-shm", ".lock"):  # nothing half made is left to adopt
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(f"{path}{suffix}")
            raise SpoolUnwritable(f"spool {path}: {exc}") from exc

    @classmethod
    def orphans(cls, directory: Path, kind: str) -> Iterator[Spool]:
        """Spool files of ``kind`` whose process is gone, each locked for the caller."""
        if not directory.is_dir():
            return
        for path in sorted(directory.glob(f"{kind}-*.sqlite3")):
            lock = _lock(path)
            if lock is None:
                continue  # a live process owns it
            if not path.exists():  # adopted and finished by another process meanwhile
                os.close(lock)
                continue
            yield cls(path, lock)

    def put(self, key: str, record: dict[str, Any]) -> None:
        self.put_many({key: record})

    def put_many(self, records: dict[str, dict[str, Any]]) -> None:
        rows = [(k, json.dumps(v, ensure_ascii=False, default=str)) for k, v in records.items()]
        with self._transaction():
            self._db.executemany("INSERT OR REPLACE INTO records VALUES (?, ?)", rows)

    def remove(self, keys: list[str]) -> None:
        if keys:
            with self._transaction():
                self._db.executemany("DELETE FROM records WHERE key = ?", [(k,) for k in keys])

    def records(self) -> dict[str, dict[str, Any]]:
        rows = self._db.execute("SELECT key, body FROM records").fetchall()
        return {key: json.loads(body) for key, body in rows}

    def __len__(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM records").fetchone()[0])

    def close(self) -> None:
        """Release the file; delete it when nothing is left to replay."""
        empty = len(self) == 0
        self._db.close()
        if empty:
            for suffix in ("", "-wal", "-shm", ".lock"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(f"{self.path}{suffix}")
        os.close(self._lock)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                if self._db.in_transaction:  # SQLite may have rolled back by itself
                    self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise SpoolUnwritable(f"spool {self.path}: {exc}") from exc


def _lock(path: Path) -> int | None:
    """An fd holding an exclusive flock on ``<path>.lock``, or None when another holds it."""
    fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd
