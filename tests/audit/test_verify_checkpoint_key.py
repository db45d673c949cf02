"""The checkpoint HMAC key comes from ``secret_key``: a short secret in production is refused
(the signatures sit in the database, so a weak key could be guessed offline and a purge
covered with a forged checkpoint), and a different secret does not verify the same
signature."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from audit.verify import checkpoint_key, sign_checkpoint
from gateway.kernel.settings import Settings


def test_production_refuses_a_short_secret_key() -> None:
    with pytest.raises(ValidationError, match="secret_key: use at least 32 random characters"):
        Settings(mode="production", secret_key="correct horse battery")
    assert Settings(mode="production", secret_key="x" * 32).mode == "production"


AT = datetime(2026, 1, 31, 15, 0, tzinfo=UTC)
KEY = checkpoint_key("a" * 40)


def sign(
    key: bytes = KEY,
    *,
    through_seq: int = 10,
    through_hash: str = "ab" * 32,
    purged_events: int = 10,
    cutoff: datetime = AT,
) -> str:
    return sign_checkpoint(
        key,
        through_seq=through_seq,
        through_hash=through_hash,
        purged_events=purged_events,
        cutoff=cutoff,
    )


def test_a_signature_depends_on_every_field_and_on_the_secret() -> None:
    signature = sign()
    assert sign(checkpoint_key("b" * 40)) != signature
    assert sign(through_seq=11) != signature
    assert sign(through_hash="cd" * 32) != signature
    assert sign(purged_events=9) != signature
    assert sign(cutoff=AT.replace(hour=16)) != signature
    # Naive UTC (SQLite) and aware (PostgreSQL) cutoffs sign alike.
    assert sign(cutoff=AT.replace(tzinfo=None)) == signature
