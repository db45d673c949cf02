"""Sealing conversations at rest: AES-256-GCM under a key of each person.

The key of a person is derived (HKDF-SHA256) from the deployment secret and the user id, and
the conversation id and field name are bound in as associated data: a sealed title cannot be
moved to another person's row or another field and still open. A database copy alone reads
as noise. No route or page opens another person's conversation; whoever holds both the
database and the deployment secret could, which is why the secret lives only in the
environment (``KAKEHASHI_SECRET_KEY``).
"""

from __future__ import annotations

import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_NONCE = 12


class Sealer:
    def __init__(self, secret: str) -> None:
        self._secret = secret.encode()

    def _aead(self, user_id: int) -> AESGCM:
        key = HKDF(
            algorithm=hashes.SHA256(),
            length=32,
            salt=b"kakehashi-conversations-v1",
            info=f"user:{user_id}".encode(),
        ).derive(self._secret)
        return AESGCM(key)

    def seal(self, *, user_id: int, conversation_id: str, field: str, data: bytes) -> bytes:
        nonce = os.urandom(_NONCE)
        bound = f"{conversation_id}\0{field}".encode()
        return nonce + self._aead(user_id).encrypt(nonce, data, bound)

    def open(self, *, user_id: int, conversation_id: str, field: str, sealed: bytes) -> bytes:
        """Raises ``cryptography.exceptions.InvalidTag`` when the row was not sealed for this
        person, conversation and field."""
        bound = f"{conversation_id}\0{field}".encode()
        return self._aead(user_id).decrypt(sealed[:_NONCE], sealed[_NONCE:], bound)
