"""Async redaction tests run on asyncio (the gateway's loop)."""

import pytest


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
