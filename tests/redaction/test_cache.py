"""redaction.cache: each text analysed once, with exactly the findings of an uncached analysis;
keys that change with the profile and its customer list; a memory bound; results shared
between workers through Redis, sealed (real redis-server)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from redaction.analysis import analyze_texts
from redaction.boundary import redact_messages
from redaction.cache import AnalysisCache, RedisResults
from redaction.engine import Redactor
from redaction.entities import Entity
from redaction.entities import EntityType as T
from redaction.profile import RedactionProfile
from redaction.vault import MemoryVault

pytestmark = pytest.mark.anyio
PROFILE = RedactionProfile()
SECRET = b"test-secret"

# A conversation as a client re-sends it: the history, then one new message per turn. Values
# split across two messages (the card number, 山田 | 太郎) are found only across the seam.
TURNS = [
    "株式会社ミライ精工の佐藤健一部長から見積もりの依頼がありました。電話は03-1234-5678です。",
    "承知しました。佐藤部長宛ての返信案を作成します。",
    "カード番号は4111 1111",
    " 1111 1111 です。担当の山田",
    "太郎さんにも共有してください。メールは yamada@example.co.jp です。",
    "了解です。ミライ精工様への回答は来週の月曜日に送ります。",
]


class _Counting(Redactor):
    """The real analyser, counting the characters it is asked to analyse."""

    def __init__(self, inner: Redactor) -> None:
        self.__dict__.update(inner.__dict__)
        self.analysed: list[str] = []

    def analyze(self, text: str, profile: RedactionProfile, **kwargs: Any) -> list[Entity]:
        self.analysed.append(text)
        return super().analyze(text, profile, **kwargs)


def _cache(redactor: Redactor, **kwargs: Any) -> AnalysisCache:
    return AnalysisCache(secret=SECRET, analyser=redactor.version, **kwargs)


async def _analyze(
    redactor: Redactor, texts: list[str], cache: AnalysisCache | None, **kwargs: Any
) -> list[list[Entity]]:
    options: dict[str, Any] = {"profile": PROFILE, "timeout_s": 30, "limiter": None}
    return await analyze_texts(
        texts, redactor=redactor, owner="u1", cache=cache, **(options | kwargs)
    )


async def test_every_turn_finds_what_an_uncached_analysis_finds(redactor: Redactor) -> None:
    cache = _cache(redactor)
    for turn in range(1, len(TURNS) + 1):
        history = TURNS[:turn]
        uncached = await _analyze(redactor, history, None)
        assert await _analyze(redactor, history, cache) == uncached  # new text analysed
        assert await _analyze(redactor, history, cache) == uncached  # all from the cache
    found = {e.text for entities in uncached for e in entities}
    assert {" 1111 1111", "山田", "太郎", "yamada@example.co.jp"} <= found
    assert cache.hits > 0


async def test_a_follow_up_turn_analyses_only_its_new_text(redactor: Redactor) -> None:
    counting = _Counting(redactor)
    cache = _cache(redactor)
    history = [TURNS[0], TURNS[1]]
    await _analyze(counting, history, cache)
    counting.analysed.clear()
    await _analyze(counting, [*history, TURNS[5]], cache)
    # The new message, and the glued seam before it (a value typed across it); not the history.
    assert counting.analysed[0] == TURNS[5]
    assert sum(map(len, counting.analysed)) < len(TURNS[5]) + 2 * 96 + 1
    assert TURNS[0] not in counting.analysed


async def test_the_profile_and_its_customer_list_are_part_of_the_key(
    redactor: Redactor, tmp_path: Path
) -> None:
    cache = _cache(redactor)
    text = ["ミライ精工の佐藤部長に03-1234-5678で電話します。"]
    everything = await _analyze(redactor, text, cache)
    phones_only = await _analyze(redactor, text, cache, profile=RedactionProfile(redact=[T.PHONE]))
    assert {e.type for e in everything[0]} > {T.PHONE}
    assert {e.type for e in phones_only[0]} == {T.PHONE}
    customers = tmp_path / "customers.csv"
    customers.write_text("name,aliases,kana\n株式会社北斗\n", encoding="utf-8")
    listed = RedactionProfile(redact=[T.CUSTOMER], customers_csv=customers)
    assert await _analyze(redactor, text, cache, profile=listed) == [[]]
    customers.write_text("name,aliases,kana\n株式会社ミライ精工,ミライ精工\n", encoding="utf-8")
    os.utime(customers, ns=(1, 1))  # a new version even within the clock's resolution
    found = await _analyze(redactor, text, cache, profile=listed)
    assert [(e.type, e.text) for e in found[0]] == [(T.CUSTOMER, "ミライ精工")]


async def test_memory_stays_within_its_bound(redactor: Redactor) -> None:
    cache = _cache(redactor, max_bytes=2_000)
    for i in range(40):
        await _analyze(redactor, [f"{i}番の山田さんに03-1234-{i:04d}で連絡"], cache)
    assert 0 < cache.size_bytes <= 2_000


async def test_placeholders_stay_consistent_across_cached_turns(redactor: Redactor) -> None:
    vault = MemoryVault(ttl_s=60)
    options: dict[str, Any] = {"redactor": redactor, "vault": vault, "conversation_id": "c"}
    options |= {"profile": PROFILE, "timeout_s": 30, "cache": _cache(redactor)}
    first = [{"role": "user", "content": TURNS[0]}]
    one = await redact_messages(messages=first, **options)
    answer = {"role": "assistant", "content": "佐藤部長へ返信します。"}
    follow = {"role": "user", "content": "鈴木一郎さんにも共有して。"}
    two = await redact_messages(messages=[*first, answer, follow], **options)
    assert two.messages[0]["content"] == one.messages[0]["content"]
    assert "佐藤" not in two.messages[1]["content"]
    assert "鈴木" not in two.messages[2]["content"]
    assert len(set(two.mapping.values.values())) == len(two.mapping.values)


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[Any]:
    from redis.asyncio import Redis

    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.mark.redis
async def test_workers_share_sealed_results_through_redis(
    redactor: Redactor, redis_client: Any
) -> None:
    key = os.urandom(32)
    texts = [TURNS[0]]
    one = _cache(redactor, shared=RedisResults(redis_client, key, ttl_s=30))
    expected = await _analyze(redactor, texts, one)
    counting = _Counting(redactor)
    two = _cache(redactor, shared=RedisResults(redis_client, key, ttl_s=30))
    assert await _analyze(counting, texts, two) == expected
    assert counting.analysed == []  # the other worker's result
    keys = await redis_client.keys("kakehashi:analysis:*")  # not another test's gateway's lease
    assert len(keys) == 1
    raw = await redis_client.get(keys[0])
    for secret in ("ミライ", "佐藤", "03-1234", "COMPANY", "PERSON"):
        assert secret.encode() not in raw
        assert secret.encode() not in keys[0]
    assert 0 < await redis_client.pttl(keys[0]) <= 30_000
    # Sealed under another key (another deployment's secret): analysed again, not trusted.
    other = _cache(redactor, shared=RedisResults(redis_client, os.urandom(32), ttl_s=30))
    assert await _analyze(counting, texts, other) == expected
    assert counting.analysed == [TURNS[0]]
