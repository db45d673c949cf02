"""The one way a department's policy changes outside the files: the IT console and trial
decisions call ``save_department_policy``; ``revert_department_policy`` restores an earlier
version as a new one.

Each change is checked exactly like ``kakehashi policy check`` (the whole set, with the same
messages), stored as a new version (who, when, why, the diff), written to the audit log
(``policy.changed``), and loaded by this process at once; other replicas load it on their next
refresh (``policies.store``). With ``policies_source: files`` nothing is saved here: the files
(and their review in git) are the source, and ``PolicyReadOnly`` says so.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

import anyio.to_thread
import yaml
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.kernel.clock import utcnow
from gateway.kernel.errors import BadRequest, Conflict
from gateway.kernel.events import EventIn
from gateway.kernel.vocab import EventType, Outcome
from policies import versions
from policies.documents import DEFAULTS, Document, check_documents
from policies.loader import PolicyInvalid, Problem
from policies.store import PolicyDatabase, PolicyStore

_DIFF_IN_AUDIT = 8000  # characters of the diff copied into the audit event


class Keep(Enum):
    CUSTOMERS = "keep"


KEEP = Keep.CUSTOMERS  # ``customers=KEEP``: the department's current list stays


class PolicyReadOnly(Conflict):
    def __init__(self, source: str) -> None:
        super().__init__(
            f"ポリシーはファイル ({source}) で管理されています。ファイルを編集して"
            "「kakehashi policy check」を通してください (画面からは変更できません)。",
            f"Policies are managed as files ({source}); edit the files instead.",
        )


@dataclass(frozen=True, slots=True)
class PolicyChange:
    """A saved version (``effects``: what it changed, as shown before saving)."""

    department: str
    number: int
    created_at: datetime
    author: str
    reason: str
    diff: str
    reverted_from: int | None
    effects: list[str]


@dataclass(frozen=True, slots=True)
class Preview:
    """What saving would do: problems (nothing can be saved) or effects and the diff."""

    problems: list[Problem]
    effects: list[str]
    diff: str
    warnings: list[str] = field(default_factory=list)  # as ``policy check`` prints them


def as_text(document: str | Mapping[str, Any]) -> str:
    if isinstance(document, str):
        return document
    return yaml.safe_dump(dict(document), allow_unicode=True, sort_keys=False)


async def preview_department_policy(
    *,
    store: PolicyStore,
    department: str,
    document: str | Mapping[str, Any],
    customers: str | Keep | None = KEEP,
    aliases: list[str] | None = None,
) -> Preview:
    """What saving would do; ``aliases``: the configured models, to warn about patterns that
    match none."""
    _database(store)
    _check_name(department)
    current = {d.department: d for d in await store.documents()}
    new = _next(current.get(department), department, as_text(document), customers)
    candidate = {**current, department: new}
    checked = await anyio.to_thread.run_sync(
        lambda: check_documents(
            candidate.values(), fallback=store.fallback, before=store.current, aliases=aliases
        )
    )
    diff = _diff(current.get(department), new)
    return Preview(checked.problems, checked.effects, diff, checked.warnings)


async def save_department_policy(
    *,
    store: PolicyStore,
    department: str,
    document: str | Mapping[str, Any],
    author: str,
    reason: str,
    customers: str | Keep | None = KEEP,
    reverted_from: int | None = None,
) -> PolicyChange:
    """Check, version, audit and load one department's new document (``_defaults`` for the
    defaults). Raises ``PolicyInvalid`` (the check's problems), ``BadRequest`` (no reason, no
    change), ``Conflict`` (a concurrent save) or ``PolicyReadOnly`` (files mode)."""
    database = _database(store)
    async with database.sessions.begin() as session:
        change = await stage_department_policy(
            store=store,
            session=session,
            department=department,
            document=document,
            author=author,
            reason=reason,
            customers=customers,
            reverted_from=reverted_from,
        )
    await publish(store=store, change=change)
    return change


async def stage_department_policy(
    *,
    store: PolicyStore,
    session: AsyncSession,
    department: str,
    document: str | Mapping[str, Any],
    author: str,
    reason: str,
    customers: str | Keep | None = KEEP,
    reverted_from: int | None = None,
) -> PolicyChange:
    """``save_department_policy``'s check and new version, written in the caller's
    transaction (``session``) so that it commits or rolls back with the caller's own rows (a
    trial's approval). Once that transaction committed, the caller calls ``publish``."""
    _database(store)
    reason = reason.strip()
    if not reason:
        raise BadRequest(
            "変更の理由を書いてください (履歴と監査ログに残ります)。",
            "Give a reason for the change (kept in the history and the audit log).",
        )
    seen = await preview_department_policy(
        store=store, department=department, document=document, customers=customers
    )
    if seen.problems:
        raise PolicyInvalid(seen.problems)
    return await _insert(
        session, department, as_text(document), customers, author, reason, reverted_from, seen
    )


async def publish(*, store: PolicyStore, change: PolicyChange) -> None:
    """After the version committed: audit it (``policy.changed``) and load it here."""
    await _audit(store, change)
    await store.refresh(now=True)


async def revert_department_policy(
    *, store: PolicyStore, department: str, number: int, author: str, reason: str
) -> PolicyChange:
    """Save version ``number`` of ``department`` again, as its newest version."""
    database = _database(store)
    async with database.sessions() as session:
        old = await versions.one(session, department, number)
    if old is None:
        raise BadRequest(
            f"{department} の版 {number} はありません。", f"{department} has no version {number}."
        )
    return await save_department_policy(
        store=store,
        department=department,
        document=old.document,
        customers=old.customers,
        author=author,
        reason=reason or f"版 {number} に戻す",
        reverted_from=number,
    )


async def department_history(
    *, store: PolicyStore, department: str
) -> list[versions.PolicyVersion]:
    database = _database(store)
    async with database.sessions() as session:
        return await versions.history(session, department)


async def _insert(
    session: AsyncSession,
    department: str,
    text: str,
    customers: str | Keep | None,
    author: str,
    reason: str,
    reverted_from: int | None,
    seen: Preview,
) -> PolicyChange:
    latest = await versions.history(session, department, limit=1)
    previous = latest[0] if latest else None
    before = Document(department, previous.document, previous.customers) if previous else None
    new = _next(before, department, text, customers)
    if before == new:
        raise BadRequest("変更がありません。", "Nothing changed.")
    row = versions.PolicyVersion(
        department=department,
        number=(previous.number + 1) if previous else 1,
        created_at=utcnow(),
        author=author,
        reason=reason[:1000],
        document=new.text,
        customers=new.customers,
        diff=_diff(before, new),
        reverted_from=reverted_from,
    )
    session.add(row)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict(
            f"{department} のポリシーが同時に変更されました。読み込み直してからやり直してください。",
            f"{department}'s policy was changed meanwhile; reload and try again.",
        ) from exc
    return PolicyChange(
        department=row.department,
        number=row.number,
        created_at=row.created_at,
        author=row.author,
        reason=row.reason,
        diff=row.diff,
        reverted_from=row.reverted_from,
        effects=seen.effects,
    )


async def _audit(store: PolicyStore, change: PolicyChange) -> None:
    await store.record(
        EventIn(
            event_type=EventType.POLICY_CHANGED,
            outcome=Outcome.OK,
            user_email=change.author,
            department=None if change.department == DEFAULTS else change.department,
            detail={
                "department": change.department,
                "number": change.number,
                "reason": change.reason,
                "reverted_from": change.reverted_from,
                "effects": change.effects[:50],
                "diff": change.diff[:_DIFF_IN_AUDIT],
                "pid": os.getpid(),
            },
        )
    )


def _database(store: PolicyStore) -> PolicyDatabase:
    if store.database is None:
        raise PolicyReadOnly(str(store.directory or "default_policy"))
    return store.database


def _check_name(department: str) -> None:
    bad = not department.strip() or len(department) > 100 or department != department.strip()
    if bad or any(c in department for c in '/\\:*?"<>|') or department.startswith("."):
        raise BadRequest(
            '部署名が正しくありません (1〜100 文字、/ \\ : * ? " < > | は使えません)。',
            "Invalid department name.",
        )


def _next(
    before: Document | None, department: str, text: str, customers: str | Keep | None
) -> Document:
    kept = before.customers if before is not None else None
    return Document(department, text, kept if isinstance(customers, Keep) else customers)


def _diff(before: Document | None, after: Document) -> str:
    name = after.file_name
    lines = list(
        difflib.unified_diff(
            (before.text if before else "").splitlines(keepends=True),
            after.text.splitlines(keepends=True),
            fromfile=f"{name} (前)",
            tofile=f"{name} (後)",
        )
    )
    old_csv = before.customers if before else None
    if (old_csv or "") != (after.customers or ""):
        lines += difflib.unified_diff(
            (old_csv or "").splitlines(keepends=True),
            (after.customers or "").splitlines(keepends=True),
            fromfile=f"顧客リスト {after.department} (前)",
            tofile=f"顧客リスト {after.department} (後)",
        )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)
