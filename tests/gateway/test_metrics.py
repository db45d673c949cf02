"""``gateway.metrics``: what one audited outcome adds to the Prometheus series, and the sum over
several worker processes when ``PROMETHEUS_MULTIPROC_DIR`` is set. (The ``/metrics`` route and
its auth: tests/audit/test_admin_api.py.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import ValidationError

from audit.chain import EventIn
from gateway.kernel.settings import Settings
from gateway.metrics import Metrics


def samples(exposition: bytes) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(exposition.decode())
        for s in family.samples
    }


def labels(**values: str) -> frozenset[tuple[str, str]]:
    return frozenset(values.items())


def test_an_outcome_counts_requests_tokens_cost_latency_and_refusals() -> None:
    metrics = Metrics()
    ok = EventIn(
        event_type="chat.completion",
        outcome="ok",
        department="営業部",
        model="gpt-4o-mini",
        prompt_tokens=120,
        completion_tokens=30,
        cost_jpy=2.5,
        latency_ms=800,
    )
    metrics.record(ok)
    metrics.record(ok)
    metrics.record(
        EventIn(
            event_type="chat.completion",
            outcome="refused",
            error_code="quota_exceeded",
            department="営業部",
            model="gpt-4o-mini",
        )
    )
    got = samples(metrics.exposition())
    dm = {"department": "営業部", "model": "gpt-4o-mini"}
    assert got["kakehashi_requests_total", labels(**dm, outcome="ok")] == 2
    assert got["kakehashi_requests_total", labels(**dm, outcome="refused")] == 1
    assert got["kakehashi_tokens_total", labels(**dm, kind="prompt")] == 240
    assert got["kakehashi_tokens_total", labels(**dm, kind="completion")] == 60
    assert got["kakehashi_cost_jpy_total", labels(**dm)] == 5.0
    refusal = labels(department="営業部", code="quota_exceeded")
    assert got["kakehashi_refusals_total", refusal] == 1
    bucket = "kakehashi_request_latency_seconds_bucket"
    assert got[bucket, labels(model="gpt-4o-mini", le="0.5")] == 1  # the refusal, at 0 ms
    assert got[bucket, labels(model="gpt-4o-mini", le="1.0")] == 3  # and the two at 800 ms
    assert got["kakehashi_request_latency_seconds_count", labels(model="gpt-4o-mini")] == 3
    assert Metrics().exposition().count(b"kakehashi_requests_total{") == 0  # one registry per app


_RECORD = """
from audit.chain import EventIn
from gateway.metrics import Metrics
from gateway.kernel.settings import Settings
Metrics().record(EventIn(event_type="chat.completion", outcome="ok", department="総務部",
                         model="m", cost_jpy=1.25))
"""
_SCRAPE = "import sys; from gateway.metrics import Metrics; sys.stdout.buffer.write(Metrics().exposition())"


def test_with_a_multiprocess_dir_a_scrape_sums_every_worker(tmp_path: Path) -> None:
    env = os.environ | {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for _worker in range(2):
        subprocess.run([sys.executable, "-c", _RECORD], env=env, check=True, timeout=60)
    scraped = subprocess.run(
        [sys.executable, "-c", _SCRAPE], env=env, check=True, capture_output=True, timeout=60
    ).stdout
    got = samples(scraped)
    assert (
        got["kakehashi_requests_total", labels(department="総務部", model="m", outcome="ok")] == 2
    )
    assert got["kakehashi_cost_jpy_total", labels(department="総務部", model="m")] == 2.5


def test_production_refuses_a_short_scraper_token() -> None:
    secret = "x" * 40
    with pytest.raises(ValidationError, match="metrics_token: use at least 24"):
        Settings(mode="production", secret_key=secret, metrics_token="scrape")
    settings = Settings(mode="production", secret_key=secret, metrics_token="t" * 24)
    assert settings.metrics_token is not None
