"""The live policy set of a running gateway, reloaded without a restart.

``refresh()`` is called on the request path: at most once per ``interval_s`` it compares a
cheap signature of the folder (names, sizes and mtimes of the policy files and the customer
lists they name); only when that changed does it read and validate the folder. A broken set is
refused as a whole and the last good one stays in force. Each outcome is written to the audit
log once (``policy.loaded`` / ``policy.rejected``) with the set's content hash.

With ``policies_source: database`` the signature is the newest row id of ``policy_versions``
(one indexed query per interval, so every replica sees a change made on another within
``interval_s``); the documents are written to a local folder per content and loaded by the
same loader.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import anyio.to_thread
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.kernel.events import AuditSink, EventIn
from gateway.kernel.vocab import EventType, Outcome
from policies import versions
from policies.documents import Document, load_documents, read_folder
from policies.loader import PolicyInvalid, Problem, load_folder, policy_files
from policies.model import Policy
from policies.resolve import PolicySet

log = logging.getLogger(__name__)

Signature = tuple[tuple[str, int, int], ...]


@dataclass
class PolicyDatabase:
    """Policies kept in the database: where to read them, the folder that seeds an empty
    database on first start, and a local folder the documents are written to for loading."""

    sessions: async_sessionmaker[AsyncSession]
    seed: Path | None = None
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="kakehashi-policies-")))
    last_id: int = -1


class PolicyStore:
    def __init__(
        self,
        *,
        directory: Path | None,
        fallback: Policy,
        interval_s: float = 1.0,
        database: PolicyDatabase | None = None,
    ) -> None:
        """Reads the folder now: a broken one raises ``PolicyInvalid`` (the server must not
        start without a policy set it can defend). A database is read by ``start``."""
        self.directory = None if database is not None else directory
        self.database = database
        self.fallback = fallback
        self._interval = interval_s
        self._audit: AuditSink | None = None
        self._checked = time.monotonic()
        self._signature: Signature = ()
        self._rejected: Signature | None = None
        self.current = PolicySet(default=fallback, version=fallback.version())
        if self.directory is not None:
            self.current = load_folder(self.directory, fallback=fallback)
            self._signature = self._sign(self.directory)

    def health(self) -> str:
        """``ok``, or why the folder's current files are not in force (for ``/readyz``)."""
        if self._rejected is not None:
            return f"folder refused; keeping version {self.current.version}"
        return "ok"

    def for_department(self, department: str) -> Policy:
        return self.current.for_department(department)

    async def start(self, audit: AuditSink) -> None:
        """Record the set in force at start-up; later reloads are recorded through ``audit``."""
        source = str(self.directory or "default_policy")
        if self.database is not None:
            await self._seed(self.database)
            await self._reload_database(self.database)  # no sink yet: a broken set raises
            source = "database"
        self._audit = audit
        await self._record(_loaded(self.current, source=source))

    async def refresh(self, *, now: bool = False) -> None:
        """Reload if the files (or the database's versions) changed; cheap when they did not.
        ``now``: skip the interval (after a change made by this process)."""
        if not now and time.monotonic() - self._checked < self._interval:
            return
        self._checked = time.monotonic()
        if self.database is not None:
            async with self.database.sessions() as session:
                newest = await versions.last_id(session)
            if newest != self.database.last_id:
                await self._reload_database(self.database)
            return
        if self.directory is None:
            return
        # Stats, YAML and CSV parsing (and the versions' hashes of the customer lists) run in a
        # worker thread: the event loop keeps serving meanwhile.
        signature = await anyio.to_thread.run_sync(self._sign, self.directory)
        if signature in (self._signature, self._rejected):
            return
        try:
            policies = await anyio.to_thread.run_sync(self._load, self.directory)
        except PolicyInvalid as exc:
            self._rejected = signature
            log.error(
                "policy folder %s refused; keeping %s:\n%s",
                self.directory,
                self.current.version,
                exc,
            )
            await self._record(_rejected(self.current, exc.problems))
            return
        previous, self.current, self._rejected = self.current, policies, None
        # Signed again with the customer lists the new set names.
        self._signature = await anyio.to_thread.run_sync(self._sign, self.directory)
        if policies.version != previous.version:
            log.info("policies reloaded from %s: version %s", self.directory, policies.version)
            await self._record(_loaded(policies, source=str(self.directory)))

    async def documents(self) -> list[Document]:
        """The documents in force in the database (database mode only)."""
        if self.database is None:
            return []
        async with self.database.sessions() as session:
            rows = await versions.current(session)
        return [Document(r.department, r.document, r.customers) for r in rows]

    async def _reload_database(self, database: PolicyDatabase) -> None:
        async with database.sessions() as session:
            newest = await versions.last_id(session)
            rows = await versions.current(session)
        documents = [Document(r.department, r.document, r.customers) for r in rows]
        try:
            policies = await anyio.to_thread.run_sync(
                lambda: load_documents(documents, fallback=self.fallback, root=database.root)
            )
        except PolicyInvalid as exc:
            if self._audit is None:
                raise  # at start-up: the server must not start without a set it can defend
            # Saved versions were checked; this one fails here (another gateway version, a
            # changed fallback): keep the last good set, like a broken folder.
            database.last_id = newest
            self._rejected = (("database", newest, 0),)
            log.error(
                "policies in the database refused; keeping %s:\n%s", self.current.version, exc
            )
            await self._record(_rejected(self.current, exc.problems))
            return
        self._rejected = None
        previous, self.current, database.last_id = self.current, policies, newest
        if self._audit is not None and policies.version != previous.version:
            log.info("policies reloaded from the database: version %s", policies.version)
            await self._record(_loaded(policies, source="database"))

    async def _seed(self, database: PolicyDatabase) -> None:
        """An empty database takes the seed folder's documents once (the first replica to
        start wins; the others find the rows)."""
        if database.seed is None:
            return
        async with database.sessions() as session:
            if await versions.last_id(session):
                return
        documents = await anyio.to_thread.run_sync(read_folder, database.seed)
        try:
            async with database.sessions.begin() as session:
                session.add_all(
                    versions.first(
                        d, author="kakehashi", reason=f"{database.seed} から初回読み込み"
                    )
                    for d in documents
                )
        except IntegrityError:
            log.info("policies already seeded by another replica")

    def _load(self, directory: Path) -> PolicySet:
        return load_folder(directory, fallback=self.fallback)

    def _sign(self, directory: Path) -> Signature:
        try:
            paths = policy_files(directory)
        except OSError:
            return (("(folder unreadable)", 0, 0),)
        csvs = {p.redaction.customers_csv for p in self.current.by_department.values()}
        csvs.add(self.current.default.redaction.customers_csv)
        return tuple(_stat(p) for p in [*paths, *sorted(c for c in csvs if c is not None)])

    async def record(self, event: EventIn) -> None:
        """Append an event through the sink given to ``start`` (changes made by ``edits``)."""
        await self._record(event)

    async def _record(self, event: EventIn) -> None:
        if self._audit is not None:
            await self._audit(event)


def _stat(path: Path) -> tuple[str, int, int]:
    try:
        st = os.stat(path)
    except OSError:
        return (str(path), -1, -1)
    return (str(path), st.st_mtime_ns, st.st_size)


def _versions(policies: PolicySet) -> dict[str, str]:
    return {"*": policies.default.version()} | {
        name: p.version() for name, p in sorted(policies.by_department.items())
    }


def _loaded(policies: PolicySet, *, source: str) -> EventIn:
    return EventIn(
        event_type=EventType.POLICY_LOADED,
        outcome=Outcome.OK,
        policy_version=policies.version,
        detail={"source": source, "departments": _versions(policies), "pid": os.getpid()},
    )


def _rejected(kept: PolicySet, problems: list[Problem]) -> EventIn:
    return EventIn(
        event_type=EventType.POLICY_REJECTED,
        outcome=Outcome.REFUSED,
        status_code=422,
        error_code=PolicyInvalid.code,
        policy_version=kept.version,
        detail={
            "kept_version": kept.version,
            "problems": [str(p) for p in problems[:50]],
            "pid": os.getpid(),
        },
    )
