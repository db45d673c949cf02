"""The typed application state built once by the app lifespan and shared by every request."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from audit.notify import Message, Notifier
from audit.reports import KpiSource
from audit.writer import AuditWriter
from gateway.corrections.approved import Approved
from gateway.identity import people
from gateway.identity.keycache import KeyCache
from gateway.identity.oidc import OidcClient
from gateway.identity.sessions import OneTimeStore, SessionStore
from gateway.identity.throttle import Throttle
from gateway.kernel.settings import Settings
from gateway.metrics import Metrics
from gateway.provider import Providers
from gateway.trials.service import Desk, Refuse
from policies.quota import Ledger
from policies.store import PolicyStore
from redaction.analysis import FairLimiter
from redaction.cache import AnalysisCache
from redaction.engine import Redactor
from redaction.vault import Vault


@dataclass
class Sso:
    """Browser sign-in: the session store, the replay guard, and the IdP client (None when no
    IdP is configured: API keys only)."""

    sessions: SessionStore
    once: OneTimeStore
    oidc: OidcClient | None = None


@dataclass
class Redaction:
    """The redaction stage's long-lived parts: the analyzer (built once, seconds to load), the
    placeholder vault, the limiter that keeps analysis off the event loop, and the cache that
    analyses each text once."""

    redactor: Redactor
    vault: Vault
    limiter: FairLimiter
    cache: AnalysisCache | None = None  # findings of texts seen before (issue 18)


class Recent:
    """A small map that forgets its oldest entries: documents already summarised in parts,
    per conversation (``gateway.digest``), so a next turn does not pay for them again."""

    def __init__(self, size: int = 64) -> None:
        self._items: OrderedDict[str, str] = OrderedDict()
        self._size = size

    def get(self, key: str) -> str | None:
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
        return found

    def put(self, key: str, value: str) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)


@dataclass
class AppState:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    audit: AuditWriter
    providers: Providers
    policies: PolicyStore  # the live set; hot-reloaded by ``refresh()``
    quota: Ledger
    approved: Approved  # IT's approved corrections; refreshed with the policies
    redis: Any | None = None  # redis.asyncio.Redis when configured
    sso: Sso | None = None  # built by the lifespan (gateway.http.app)
    redaction: Redaction | None = None  # built by the lifespan; None refuses every chat
    metrics: Metrics = field(default_factory=Metrics)
    keys: KeyCache = field(default_factory=KeyCache)  # valid API keys seen recently
    # Failed credentials audited per client and reason at most once per window (a script with
    # a wrong key, a scanner): the repeats are counted on the next event, not each one written.
    auth_failures: Throttle = field(default_factory=Throttle)
    # E-mail and webhook to IT (settings.notify): budget alerts, and whoever else tells IT.
    notifier: Notifier = field(default_factory=Notifier)
    digests: Recent = field(default_factory=Recent)  # documents summarised in parts
    # HTTP requests in flight in this process (``gateway.http.app.CountRequests``): a chat
    # request with none beside it writes its audit intent on the event loop (``audit.intents``).
    requests: int = 0

    async def refresh_policies(self) -> None:
        """The current policy set and approved corrections, for every route that depends on
        them (cheap: each rereads at most once per interval)."""
        await self.policies.refresh()
        await self.approved.refresh()

    def kpi_source(self) -> KpiSource:
        return KpiSource(self.sessions, self.policies, ZoneInfo(self.settings.timezone))

    def trial_desk(self, refuse: Refuse) -> Desk:
        """What the trial services need, for a caller whose refusals ``refuse`` records (the
        pages and the JSON API build it alike)."""

        async def notify(subject: str, body: str) -> None:
            await self.notifier.send(Message(subject=subject, body=body))

        async def is_person(email: str) -> bool:
            return await people.is_active(sessions=self.sessions, email=email)

        return Desk(
            sessions=self.sessions,
            audit=self.audit.append,
            policies=self.policies,
            refuse=refuse,
            is_person=is_person,
            notify=notify,
        )
