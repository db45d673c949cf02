"""Async engines a test opens itself (one per replica in the race tests), disposed when the
test ends: ``open_engine(url)`` opens one, the ``dispose_engines`` fixture (tests/fixtures/gateway.py,
``pytest.mark.usefixtures("dispose_engines")``) closes them all. Engines left open keep
PostgreSQL connections and SQLite file handles past the test."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.kernel.db import make_async_engine

_OPEN: list[AsyncEngine] = []


def open_engine(url: str) -> AsyncEngine:
    made = make_async_engine(url)
    _OPEN.append(made)
    return made


async def dispose_all() -> None:
    while _OPEN:
        await _OPEN.pop().dispose()
