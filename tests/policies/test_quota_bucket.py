"""A quota bucket derives its store key, expiry and spool row once, at construction; what it
derives is not part of what it is: it compares, hashes, prints and pickles as its seven fields,
and names its counter as the previous release did (Redis counters outlive an upgrade)."""

from __future__ import annotations

import pickle
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from policies.quota_store import Bucket

RESETS = datetime(2099, 11, 23, tzinfo=ZoneInfo("Asia/Tokyo"))
SATO = Bucket("user", "sato@example.jp", "day", "2099-11-22", "tokens", 100, RESETS)

# pickle.dumps(SATO, protocol=4) by the release before buckets derived anything.
PICKLED_BEFORE = (
    b"\x80\x04\x95\xdd\x00\x00\x00\x00\x00\x00\x00\x8c\x14policies.quota_store\x94\x8c\x06"
    b"Bucket\x94\x93\x94)\x81\x94]\x94(\x8c\x04user\x94\x8c\x0fsato@example.jp\x94\x8c\x03"
    b"day\x94\x8c\n2099-11-22\x94\x8c\x06tokens\x94Kd\x8c\x08datetime\x94\x8c\x08datetime"
    b"\x94\x93\x94C\n\x083\x0b\x17\x00\x00\x00\x00\x00\x00\x94\x8c\x08builtins\x94\x8c\x07"
    b"getattr\x94\x93\x94\x8c\x08zoneinfo\x94\x8c\x08ZoneInfo\x94\x93\x94\x8c\t_unpickle"
    b"\x94\x86\x94R\x94\x8c\nAsia/Tokyo\x94K\x01\x86\x94R\x94\x86\x94R\x94eb."
)


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


def test_a_bucket_pickles_as_before() -> None:
    assert pickle.dumps(SATO, protocol=4) == PICKLED_BEFORE
    loaded = pickle.loads(PICKLED_BEFORE)  # noqa: S301 - our own bytes
    assert loaded == SATO
    assert (loaded.key, loaded.expires_ms, loaded.row) == (SATO.key, SATO.expires_ms, SATO.row)
