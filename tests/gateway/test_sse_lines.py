"""The upstream SSE reader: every ``data:`` payload comes out whole, however the body is cut
into pieces on the way (a line split across TCP reads, several lines in one read), grouped by
the piece that ended it (the relay writes each group at once), never in an empty group."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.provider.openai import sse_batches

BODY = (
    'data: {"choices":[{"delta":{"content":"〔会社A〕の件"}}]}\n\n'
    ": keep-alive comment\n"
    'data: {"choices":[{"delta":{"content":"承知しました"}}]}\r\n\r\n'
    "data: [DONE]"  # the last line without its newline
).encode()
PAYLOADS = [
    '{"choices":[{"delta":{"content":"〔会社A〕の件"}}]}'.encode(),
    '{"choices":[{"delta":{"content":"承知しました"}}]}'.encode(),
    b"[DONE]",
]


async def _pieces(body: bytes, cuts: list[int]) -> AsyncIterator[bytes]:
    start = 0
    for cut in [*sorted(set(cuts)), len(body)]:
        yield body[start:cut]
        start = cut


async def _read(cuts: list[int]) -> list[bytes]:
    groups = [group async for group in sse_batches(_pieces(BODY, cuts))]
    assert all(groups)
    return [data for group in groups for data in group]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=len(BODY)), max_size=12))
def test_payloads_survive_any_split(cuts: list[int]) -> None:
    assert asyncio.run(_read(cuts)) == PAYLOADS


def test_every_single_cut_point() -> None:
    for cut in range(len(BODY) + 1):
        assert asyncio.run(_read([cut])) == PAYLOADS, cut


def test_one_read_is_one_group() -> None:
    groups = asyncio.run(_groups(BODY))
    assert groups == [PAYLOADS[:2], PAYLOADS[2:]]  # [DONE] has no newline: ended by the end


async def _groups(body: bytes) -> list[list[bytes]]:
    return [group async for group in sse_batches(_pieces(body, []))]
