"""The live policy set of a running gateway, reloaded without a restart.

``refresh()`` is called on the request path: at most once per ``interval_s`` it compares a
cheap signature of the folder (names, sizes and mtimes of the policy files and the customer
lists they name); only when that changed does it read and validate the folder. A broken set is
refused as a whole and the last good one stays in force. Each outcome is written to the audit
log once (``policy.loaded`` / ``policy.rejected``) with the set's content hash.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import anyio.to_thread

from gateway.kernel.events import AuditSink, EventIn
from gateway.kernel.vocab import EventType, Outcome
from policies.loader import PolicyInvalid, Problem, load_folder, policy_files
from policies.model import Policy
from policies.resolve import PolicySet

log = logging.getLogger(__name__)

Signature = tuple[tuple[str, int, int], ...]


class PolicyStore:
    def __init__(
        self, *, directory: Path | None, fallback: Policy, interval_s: float = 1.0
    ) -> None:
        """Reads the folder now: a broken one raises ``PolicyInvalid`` (the server must not
        start without a policy set it can defend)."""
        self.directory = directory
        self._fallback = fallback
        self._interval = interval_s
        self._audit: AuditSink | None = None
        self._checked = time.monotonic()
        self._signature: Signature = ()
        self._rejected: Signature | None = None
        self.current = PolicySet(default=fallback, version=fallback.version())
        if directory is not None:
            self.current = load_folder(directory, fallback=fallback)
            self._signature = self._sign(directory)

    def health(self) -> str:
        """``ok``, or why the folder's current files are not in force (for ``/readyz``)."""
        if self._rejected is not None:
            return f"folder refused; keeping version {self.current.version}"
        return "ok"

    def for_department(self, department: str) -> Policy:
        return self.current.for_department(department)

    async def start(self, audit: AuditSink) -> None:
        """Record the set in force at start-up; later reloads are recorded through ``audit``."""
        self._audit = audit
        await self._record(_loaded(self.current, source=str(self.directory or "default_policy")))

    async def refresh(self) -> None:
        """Reload if the files changed; cheap when they did not."""
        if self.directory is None or time.monotonic() - self._checked < self._interval:
            return
        self._checked = time.monotonic()
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

    def _load(self, directory: Path) -> PolicySet:
        return load_folder(directory, fallback=self._fallback)

    def _sign(self, directory: Path) -> Signature:
        try:
            paths = policy_files(directory)
        except OSError:
            return (("(folder unreadable)", 0, 0),)
        csvs = {p.redaction.customers_csv for p in self.current.by_department.values()}
        csvs.add(self.current.default.redaction.customers_csv)
        return tuple(_stat(p) for p in [*paths, *sorted(c for c in csvs if c is not None)])

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
        error_code="policy_invalid",
        policy_version=kept.version,
        detail={
            "kept_version": kept.version,
            "problems": [str(p) for p in problems[:50]],
            "pid": os.getpid(),
        },
    )
