"""An audit intent written on the event loop (the request is alone in its process, issue 18)
keeps issue 17's promise exactly: the event is in the spool file, fsync'd, when ``put``
returns; and it never touches the spool while the thread writes a group (one writer at a time)."""

from __future__ import annotations

import asyncio
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from audit.chain import EventIn
from audit.intents import Intents, key_of
from gateway.kernel import spool as spool_module
from gateway.kernel.spool import Spool

pytestmark = pytest.mark.anyio


def _event(i: int) -> EventIn:
    return EventIn(event_type="chat.completion", outcome="error", request_id=f"r{i}")


def _on_disk(directory: Path) -> set[str]:
    """The keys an adopting process would replay, read from the files as they are."""
    keys: set[str] = set()
    for path in directory.glob("audit-*.spool"):
        for line in path.read_bytes().rstrip(b"\0").splitlines():  # zeros laid ahead
            entry = spool_module.json.loads(line)
            if "v" in entry:
                keys.add(entry["k"])
            else:
                keys.discard(entry["k"])
    return keys


async def test_alone_the_intent_is_synced_on_the_loop_before_put_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[tuple[int, str]] = []
    fdatasync = os.fdatasync

    def recording(fd: int) -> None:
        fdatasync(fd)
        synced.append((fd, threading.current_thread().name))

    monkeypatch.setattr(spool_module.os, "fdatasync", recording)
    intents = Intents(tmp_path)
    try:
        await intents.put(_event(1), {"hold": "h1"}, alone=True)
        assert _on_disk(tmp_path) == {key_of(_event(1))}
        assert synced
        assert synced[-1][1] == threading.current_thread().name  # no thread hop
        await intents.put(_event(2))  # beside others: the spool thread, as before
        assert synced[-1][1].startswith("audit-spool")
        assert _on_disk(tmp_path) == {key_of(_event(1)), key_of(_event(2))}
        await intents.forget([_event(1)])
        await intents.put(_event(3), alone=True)  # carries the drop of the committed one
        assert _on_disk(tmp_path) == {key_of(_event(2)), key_of(_event(3))}
    finally:
        await intents.close()


async def test_alone_waits_for_a_group_being_written_in_the_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    inside = 0
    most = 0
    put_many = Spool.put_many

    def slow(self: Spool, records: dict[str, dict[str, Any]], **kwargs: Any) -> None:
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        try:
            if "chat.completion:r1" in records:
                release.wait(5)
            put_many(self, records, **kwargs)
        finally:
            inside -= 1

    monkeypatch.setattr(Spool, "put_many", slow)
    intents = Intents(tmp_path)
    try:
        first = asyncio.create_task(intents.put(_event(1)))  # the thread, held
        await asyncio.sleep(0.05)
        second = asyncio.create_task(intents.put(_event(2), alone=True))
        await asyncio.sleep(0.05)
        assert not second.done()  # not written beside the thread's write
        release.set()
        await asyncio.wait_for(asyncio.gather(first, second), 5)
        assert most == 1
        assert _on_disk(tmp_path) == {key_of(_event(1)), key_of(_event(2))}
    finally:
        release.set()
        await intents.close()


async def test_alone_a_disk_that_refuses_raises_and_keeps_the_drops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    intents = Intents(tmp_path)
    try:
        await intents.put(_event(1), alone=True)
        await intents.forget([_event(1)])

        def refuse(fd: int) -> None:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(spool_module.os, "fdatasync", refuse)
        with pytest.raises(OSError, match="No space left"):
            await intents.put(_event(2), alone=True)
        monkeypatch.undo()
        await intents.put(_event(3), alone=True)
        assert _on_disk(tmp_path) == {key_of(_event(3))}
    finally:
        await intents.close()
