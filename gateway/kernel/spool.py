"""A durable local record for writes that must not be lost when a shared store fails.

Each gateway process keeps its own file in ``spool_dir`` (``<kind>-<pid>-<id>.spool``) and holds
an exclusive ``flock`` on it while it lives. The file is an append-only log of JSON lines:
``{"k": key, "v": record}`` keeps a record, ``{"k": key}`` drops it, the last line of a key wins.
A put is one ``write`` and, with ``fsync`` (the default), one ``fdatasync``: the record survives
SIGKILL and power loss once ``put`` returns (``fsync=False``: SIGKILL only). Lines are written
over zeros laid down ahead of them (``PREALLOCATE`` at a time, up to ``COMPACT_BYTES``), so most
puts change neither the file's size nor its blocks and their ``fdatasync`` flushes the data
alone, without a journal commit: a fraction of the wait on ext4, and far fewer multi-millisecond
tails on a busy disk (docs/benchmarks.md "Fourth session — c1"); readers ignore the zeros. This replaced a
SQLite file committed with ``synchronous=FULL``, whose B-tree and WAL pages cost several times
the CPU and the wait of one appended line per request (docs/benchmarks.md "Per-request fixed
cost"). A line cut short by a crash or a full disk is skipped when the file is read.

Drops may be written without an fsync (``remove(sync=False)``) when replaying a dropped record
again is harmless to the caller (the audit writer skips events already committed). The file is
compacted once it passes ``COMPACT_BYTES``: truncated when nothing is live, else rewritten with
the live records only (written, fsync'd, renamed over, the directory fsync'd).

When a process dies, the kernel drops its lock; any live process of the same deployment then
*adopts* the file (``orphans``), replays its records into the shared store and deletes it.
Several workers and replicas can share one directory without ever replaying each other's live
records. Spools of the earlier SQLite format (``.sqlite3``) are adopted too.

Records are small JSON objects keyed by a string (a request id, a hold id). The calls are
blocking (file I/O): callers run them in a worker thread, one call at a time per spool. Owns
nothing about what is recorded.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import sqlite3
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

log = logging.getLogger(__name__)

SUFFIX = ".spool"
_LEGACY = ".sqlite3"  # the SQLite spools of earlier versions: adopted, never written
COMPACT_BYTES = 1 << 20
PREALLOCATE = 1 << 18  # zeros laid ahead of the lines, never past COMPACT_BYTES


class SpoolUnwritable(OSError):
    """The spool cannot take a write: a full or read-only disk, an I/O error. An ``OSError``
    like the file system's own, so callers have one thing to catch."""


def _line(key: str, record: dict[str, Any] | None) -> bytes:
    entry: dict[str, Any] = {"k": key} if record is None else {"k": key, "v": record}
    try:
        return orjson.dumps(entry, default=str, option=orjson.OPT_NON_STR_KEYS) + b"\n"
    except TypeError:  # what orjson refuses (a lone surrogate): the standard library's escapes
        return json.dumps(entry, default=str).encode() + b"\n"


class Spool:
    """One process's spool file of one kind (``audit``, ``settle``)."""

    def __init__(self, path: Path, lock: int, *, fsync: bool = True) -> None:
        self.path = path
        self._lock = lock  # the open file descriptor holding the flock
        self._fsync = fsync
        self._live: dict[str, bytes] = {}  # key -> its line, for records() and compaction
        self._torn = False  # the file may end in a partial line: the next write starts anew
        self._allocated = 0  # the file's length: the lines (``_size`` bytes), then zeros
        try:
            # Not O_APPEND: lines are written at ``_size``, over the zeros laid ahead of them.
            self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            self._size = self._load()
        except OSError as exc:
            raise SpoolUnwritable(f"spool {path}: {exc}") from exc

    @classmethod
    def create(cls, directory: Path, kind: str, *, fsync: bool = True) -> Spool:
        """A new, locked spool file for this process."""
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{kind}-{os.getpid()}-{uuid.uuid4().hex[:8]}{SUFFIX}"
        lock = _lock(path)
        if lock is None:  # cannot happen: the name is new
            raise RuntimeError(f"spool {path} is locked by another process")
        try:
            spool = cls(path, lock, fsync=fsync)
        except OSError:
            os.close(lock)
            _unlink(path, "", ".lock")  # nothing half made is left to adopt
            raise
        if fsync:  # the new name itself survives power loss
            try:
                _fsync_dir(directory)
            except OSError as exc:
                spool.close()  # empty: deleted
                raise SpoolUnwritable(f"spool {path}: {exc}") from exc
        return spool

    @classmethod
    def orphans(cls, directory: Path, kind: str) -> Iterator[Spool]:
        """Spool files of ``kind`` whose process is gone, each locked for the caller."""
        if not directory.is_dir():
            return
        for path in sorted(directory.glob(f"{kind}-*{SUFFIX}")):
            lock = _lock(path)
            if lock is None:
                continue  # a live process owns it
            if not path.exists():  # adopted and finished by another process meanwhile
                os.close(lock)
                continue
            try:
                spool = cls(path, lock)
            except OSError as exc:  # unreadable: left for a person; the others still adopted
                os.close(lock)
                log.error("spool %s: not adopted, unreadable (%s)", path, exc)
                continue
            yield spool
        for path in sorted(directory.glob(f"{kind}-*{_LEGACY}")):
            legacy = _from_legacy(path, kind)
            if legacy is not None:
                yield legacy

    def put(self, key: str, record: dict[str, Any]) -> None:
        self.put_many({key: record})

    def put_many(self, records: dict[str, dict[str, Any]], *, drop: Iterable[str] = ()) -> None:
        """Keep ``records`` (durable when this returns); ``drop``: keys removed in the same
        write, as ``remove(sync=False)`` would."""
        dropped = [k for k in drop if k in self._live and k not in records]
        lines = {key: _line(key, record) for key, record in records.items()}
        self._append(b"".join([*(_line(k, None) for k in dropped), *lines.values()]), sync=True)
        for key in dropped:
            del self._live[key]
        self._live.update(lines)
        self._compact()

    def remove(self, keys: list[str], *, sync: bool = True) -> None:
        """Drop ``keys``; ``sync=False``: without an fsync (a power loss may bring them back)."""
        present = [k for k in dict.fromkeys(keys) if k in self._live]
        if present:
            self._append(b"".join(_line(k, None) for k in present), sync=sync)
            for key in present:
                del self._live[key]
            self._compact()

    def records(self) -> dict[str, dict[str, Any]]:
        return {key: json.loads(line)["v"] for key, line in self._live.items()}

    def __len__(self) -> int:
        return len(self._live)

    def close(self) -> None:
        """Release the file; delete it when nothing is left to replay."""
        empty = not self._live
        os.close(self._fd)
        if empty:
            _unlink(self.path, "", ".tmp", ".lock")
        os.close(self._lock)

    def _load(self) -> int:
        """Read the file into ``_live``; the length of its lines (the zeros after them not
        counted)."""
        with open(self._fd, "rb", closefd=False) as file:
            data = file.read()
        self._allocated = len(data)
        data = data.rstrip(b"\0")  # the zeros laid ahead (JSON lines never hold a NUL byte)
        *lines, rest = data.split(b"\n")
        self._torn = bool(rest)  # a last line without its newline: cut short
        for line in (piece.strip(b"\0") for piece in lines):
            try:
                entry = json.loads(line)
                key = entry["k"]
            except (ValueError, KeyError, TypeError):  # a write cut short earlier
                if line:
                    log.warning(
                        "spool %s: skipped a line cut short (%d bytes)", self.path, len(line)
                    )
                continue
            if "v" in entry:
                self._live[key] = line + b"\n"
            else:
                self._live.pop(key, None)
        return len(data)

    def _append(self, data: bytes, *, sync: bool) -> None:
        if self._torn:
            data = b"\n" + data  # the partial line before stays a line of its own (skipped)
        end = self._size + len(data)
        try:
            _write_at(self._fd, data, self._size)
            if end > self._allocated:
                # Zeros ahead of the lines, synced by the same fdatasync.
                ahead = max(end, min(COMPACT_BYTES, end + PREALLOCATE))
                _write_at(self._fd, bytes(ahead - end), end)
                self._allocated = ahead
            if sync and self._fsync:
                os.fdatasync(self._fd)
        except OSError as exc:
            # Undo what part reached the file (back as it was, so ``_torn`` stays as it was: a
            # partial line before this write is still there); if even that fails, the next
            # write starts a new line, so the fragment is skipped when read.
            try:
                os.ftruncate(self._fd, self._size)
                self._allocated = self._size
            except OSError:
                self._torn = True
            raise SpoolUnwritable(f"spool {self.path}: {exc}") from exc
        self._torn = False
        self._size += len(data)

    def _compact(self) -> None:
        """Truncate (nothing live) or rewrite (mostly dead) a file past ``COMPACT_BYTES``. An
        optimisation only: a failure leaves the file as it is."""
        if self._size < COMPACT_BYTES:
            return
        try:
            if not self._live:
                os.ftruncate(self._fd, 0)
                if self._fsync:
                    os.fdatasync(self._fd)
                self._size, self._allocated, self._torn = 0, 0, False
                return
            data = b"".join(self._live.values())
            if 2 * len(data) > self._size:
                return
            self._rewrite(data)
        except OSError as exc:
            log.warning("spool %s: not compacted (%s)", self.path, exc)

    def _rewrite(self, data: bytes) -> None:
        tmp = Path(f"{self.path}.tmp")
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            _write_at(fd, data, 0)
            if self._fsync:
                os.fsync(fd)
            os.replace(tmp, self.path)
        except OSError:
            os.close(fd)
            _unlink(self.path, ".tmp")
            raise
        # The new file is the spool from here on, even if the directory's fsync below fails:
        # writes to the old descriptor would go to an unlinked file that nobody adopts.
        os.close(self._fd)
        self._fd, self._size, self._allocated, self._torn = fd, len(data), len(data), False
        if self._fsync:
            _fsync_dir(self.path.parent)


def _from_legacy(path: Path, kind: str) -> Spool | None:
    """A SQLite spool of an earlier version, moved into a new spool of this process (locked
    until the caller closes it); None when a live process owns it or it is gone."""
    lock = _lock(path)
    if lock is None:
        return None
    try:
        if not path.exists():
            return None
        try:
            db = sqlite3.connect(path)
            try:
                rows = db.execute("SELECT key, body FROM records").fetchall()
            finally:
                db.close()
        except sqlite3.Error as exc:
            # Left in place for a person to look at: raising would leak the locks of the
            # orphans already yielded and stop every later adoption of this directory.
            log.error("spool %s: not adopted, unreadable as SQLite (%s)", path, exc)
            return None
        spool = Spool.create(path.parent, kind)
        spool.put_many({key: json.loads(body) for key, body in rows})
        _unlink(path, "", "-wal", "-shm", ".lock")
        return spool
    finally:
        os.close(lock)


def _write_at(fd: int, data: bytes, offset: int) -> None:
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, offset)
        view, offset = view[written:], offset + written


def _unlink(path: Path, *suffixes: str) -> None:
    for suffix in suffixes:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(f"{path}{suffix}")


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _lock(path: Path) -> int | None:
    """An fd holding an exclusive flock on ``<path>.lock``, or None when another holds it."""
    fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd
