"""A quota bucket derives its store key, expiry and spool row once, at construction; what it
derives is not part of what it is: it compares, hashes and prints as its seven fields,
and names its counter as the previous release did (Redis counters outlive an upgrade)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from policies.quota_store import Bucket

RESETS = datetime(2099, 11, 23, tzinfo=ZoneInfo("Asia/Tokyo"))
SATO = Bucket("user", "sato@example.jp", "day", "2099-11-22", "tokens", 100, RESETS)


def test_a_bucket_names_its_counter_as_before() -> None:
    assert SATO.key == "user:sato@example.jp:day:2099-11-22:tokens"
    assert SATO.expires_ms == 4_099_129_200_000  # the window's end (Tokyo midnight) + a day
    assert SATO.row == {
        "scope": "user",
        "owner": "sato@example.jp",
        "window": "day",
        "period": "2099-11-22",
        "unit": "tokens",
        "limit": 100,
        "resets_at": "2099-11-23T00:00:00+09:00",
    }
    # A copy with another field derives again (nothing is carried over from the original).
    assert replace(SATO, owner="ito@example.jp").key == "user:ito@example.jp:day:2099-11-22:tokens"


def test_a_bucket_is_its_seven_fields() -> None:
    same = Bucket("user", "sato@example.jp", "day", "2099-11-22", "tokens", 100, RESETS)
    assert same == SATO
    assert hash(same) == hash(SATO)
    assert len({same, SATO}) == 1
    assert replace(SATO, limit=None) != SATO
    assert repr(SATO) == (
        "Bucket(scope='user', owner='sato@example.jp', window='day', period='2099-11-22', "
        f"unit='tokens', limit=100, resets_at={RESETS!r})"
    )
