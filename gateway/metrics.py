"""Prometheus metrics: requests, tokens, cost, latency and refusals by department and model.

Fed from the one place the pipeline records an outcome (``pipeline._finish``, with the same
event the audit log gets), so the numbers agree with the audit log. Each app has its own
registry: tests run many apps in one process. With ``--workers N`` each worker counts its own
requests and a scrape reaches one of them; run one worker per replica when you scrape, or sum
in PromQL across replicas (``sum by (department) (rate(kakehashi_requests_total[5m]))``).
Alternatively start every worker with ``PROMETHEUS_MULTIPROC_DIR`` set to an empty folder
(before the process starts): workers then write their values there and any scrape reports the
sum over all workers of the host (prometheus_client's multiprocess mode). The same event
gives the one log line per chat request (``log_request``: ids and outcome, never text).
"""

from __future__ import annotations

import logging
import os
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST as CONTENT_TYPE
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess

from audit.chain import EventIn
from gateway.kernel.vocab import Outcome

log = logging.getLogger("kakehashi.request")

__all__ = ["CONTENT_TYPE", "Metrics"]

_LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80)
_SERIES_MAX = 10_000  # (department, model, outcome) children kept at hand; then forgotten


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "kakehashi_requests",
            "Chat requests by outcome (ok, refused, error, cancelled).",
            ["department", "model", "outcome"],
            registry=self.registry,
        )
        self.tokens = Counter(
            "kakehashi_tokens",
            "Tokens charged to quotas.",
            ["department", "model", "kind"],
            registry=self.registry,
        )
        self.cost = Counter(
            "kakehashi_cost_jpy",
            "Cost charged to quotas, in yen.",
            ["department", "model"],
            registry=self.registry,
        )
        self.refusals = Counter(
            "kakehashi_refusals",
            "Refused chat requests by reason (quota_exceeded, content_blocked, ...).",
            ["department", "code"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "kakehashi_request_latency_seconds",
            "Time from request to the last byte, through the whole pipeline.",
            ["model"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        # The labelled children of each (department, model, outcome): ``labels()`` checks,
        # converts and looks up under a lock every call (~40 % of ``record``, issue 18). A
        # child stays the registry's series, so cached or not the counts are the same.
        self._series: dict[tuple[str, str, str], tuple[Any, Any, Any, Any, Any]] = {}

    def _children(self, department: str, model: str, outcome: str) -> tuple[Any, ...]:
        if len(self._series) >= _SERIES_MAX:
            self._series.clear()
        children = (
            self.requests.labels(department, model, outcome),
            self.tokens.labels(department, model, "prompt"),
            self.tokens.labels(department, model, "completion"),
            self.cost.labels(department, model),
            self.latency.labels(model),
        )
        self._series[department, model, outcome] = children
        return children

    def record(self, event: EventIn) -> None:
        department, model, outcome = event.department or "", event.model or "", event.outcome
        children = self._series.get((department, model, outcome))
        if children is None:
            children = self._children(department, model, outcome)
        requests, prompt, completion, cost, latency = children
        requests.inc()
        prompt.inc(event.prompt_tokens)
        completion.inc(event.completion_tokens)
        cost.inc(event.cost_jpy)
        if outcome == Outcome.REFUSED:
            self.refusals.labels(department, event.error_code or "unknown").inc()
        latency.observe(event.latency_ms / 1000)

    def exposition(self) -> bytes:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            merged = CollectorRegistry()
            multiprocess.MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
            return generate_latest(merged)
        return generate_latest(self.registry)


def log_request(event: EventIn) -> None:
    """One line per chat request: who, what, how it ended; never the prompt or the answer."""
    log.info(
        "chat request %s: %s %s",
        event.request_id,
        event.outcome,
        event.status_code,
        extra={
            "request_id": event.request_id,
            "outcome": event.outcome,
            "status": event.status_code,
            "error_code": event.error_code,
            "department": event.department,
            "model": event.model,
            "latency_ms": event.latency_ms,
            "tokens": event.prompt_tokens + event.completion_tokens,
        },
    )
