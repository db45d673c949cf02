"""Shared task templates: a department manager's for their department, IT's for the company.

Who may do what (checked here, every refusal audited through ``refuse``):

- staff use the templates of their department and the company-wide ones; they create none;
- a department manager creates and deletes their own department's templates only;
- an IT admin publishes company-wide templates (and may manage any department's).

A template belongs to a use case, so a request made from it is counted under that use case
(the chat route takes the use case from the template, not from the page). Creations and
deletions are audited. No HTTP here; callers pass the use cases their policy allows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from gateway.kernel.clock import utcnow
from gateway.kernel.errors import BadRequest, Forbidden, NotFound
from gateway.kernel.events import AuditSink, EventIn
from gateway.kernel.principal import Principal, Role
from gateway.kernel.vocab import EventType, Outcome
from gateway.workspace.models import TaskTemplate
from policies.resolve import PolicySet
from policies.templates import PromptTemplate, from_text

Refuse = Callable[..., Awaitable[None]]  # records an audited refusal (gateway.auth.refusals)
MAX_PER_SCOPE = 100  # a department's (or the company's) shared templates


@dataclass(frozen=True, slots=True)
class Shared:
    id: int
    title: str
    use_case: str
    department: str | None  # None: the whole company
    template: PromptTemplate
    created_by: str
    created_at: datetime

    @property
    def key(self) -> str:
        """How the chat page names it (the standard templates are named by their use case)."""
        return f"t{self.id}"


def _shared(row: TaskTemplate) -> Shared:
    return Shared(
        id=row.id,
        title=row.title,
        use_case=row.use_case,
        department=row.department,
        template=PromptTemplate.model_validate(row.body),
        created_by=row.created_by,
        created_at=row.created_at,
    )


def _mine(principal: Principal) -> ColumnElement[bool]:
    return or_(TaskTemplate.department.is_(None), TaskTemplate.department == principal.department)


async def visible(
    *, session: AsyncSession, principal: Principal, use_cases: Collection[str]
) -> list[Shared]:
    """The company's and the caller's department's templates, for the use cases allowed."""
    rows = await session.scalars(
        select(TaskTemplate)
        .where(_mine(principal), TaskTemplate.use_case.in_(list(use_cases)))
        .order_by(TaskTemplate.department.is_(None), TaskTemplate.title, TaskTemplate.id)
    )
    return [_shared(row) for row in rows]


async def managed(*, session: AsyncSession, principal: Principal) -> list[Shared]:
    """What the caller may delete: an admin every template, a manager their department's."""
    query = select(TaskTemplate).order_by(TaskTemplate.department, TaskTemplate.title)
    if principal.role is not Role.ADMIN:
        query = query.where(TaskTemplate.department == principal.department)
    return [_shared(row) for row in await session.scalars(query)]


async def find_visible(*, session: AsyncSession, principal: Principal, key: str) -> Shared | None:
    """A template the caller may use, by the page's key (``t12``); None if there is none."""
    if not key.startswith("t") or not key[1:].isdigit():
        return None
    row = await session.get(TaskTemplate, int(key[1:]))
    if row is None or row.department not in (None, principal.department):
        return None
    return _shared(row)


async def _may_manage(principal: Principal, department: str | None, refuse: Refuse) -> None:
    if principal.role is Role.ADMIN:
        return
    if principal.role is Role.MANAGER and department == principal.department:
        return
    await refuse("template scope", department=department or "(company)")
    if principal.role is Role.MANAGER:
        raise Forbidden(
            "部門管理者が作成・削除できるのは自部署のテンプレートだけです"
            "(全社向けは情報システム部が公開します)。",
            "Managers manage their own department's templates only (IT publishes company-wide).",
        )
    raise Forbidden(
        "テンプレートの作成・削除は部門管理者と情報システム部の担当です。",
        "Only department managers and IT admins create or delete templates.",
    )


def _event(principal: Principal, kind: EventType, shared: Shared) -> EventIn:
    return EventIn(
        event_type=kind,
        outcome=Outcome.OK,
        user_email=principal.email,
        department=principal.department,
        role=principal.role.value,
        use_case=shared.use_case,
        detail={
            "template_id": shared.id,
            "title": shared.title,
            "scope": shared.department or "company",
        },
    )


async def create(
    *,
    sessions: async_sessionmaker[AsyncSession],
    audit: AuditSink,
    refuse: Refuse,
    principal: Principal,
    policies: PolicySet,
    company: bool,
    department: str | None,
    use_case: str,
    title: str,
    prompt: str,
) -> Shared:
    """Share a template written with slots (``policies.templates.from_text``) with the
    caller's department, ``department`` (admins), or the whole company (``company``)."""
    target = None if company else (department or principal.department)
    await _may_manage(principal, target, refuse)
    try:
        template = from_text(prompt)
    except ValueError as exc:
        raise BadRequest(f"依頼文が正しくありません: {exc}", f"Bad prompt: {exc}") from None
    if use_case not in target_use_cases(policies, target):
        raise BadRequest(
            f"用途 {use_case!r} はこの共有先のポリシーにありません。",
            f"The use case {use_case!r} is not in the target's policy.",
        )
    async with sessions.begin() as session:
        await _check_room(session, target)
        row = TaskTemplate(
            department=target,
            use_case=use_case,
            title=title.strip()[:100],
            body=template.model_dump(),
            created_by=principal.email,
            created_at=utcnow(),
        )
        session.add(row)
        await session.flush()
        shared = _shared(row)
    await audit(_event(principal, EventType.TEMPLATE_CREATED, shared))
    return shared


async def _check_room(session: AsyncSession, department: str | None) -> None:
    scope = (
        TaskTemplate.department.is_(None)
        if department is None
        else TaskTemplate.department == department
    )
    count = await session.scalar(select(func.count()).select_from(TaskTemplate).where(scope))
    if (count or 0) >= MAX_PER_SCOPE:
        raise BadRequest(
            f"共有できるテンプレートは {MAX_PER_SCOPE} 件までです。古いものを削除してください。",
            f"At most {MAX_PER_SCOPE} shared templates; delete old ones first.",
        )


async def delete(
    *,
    sessions: async_sessionmaker[AsyncSession],
    audit: AuditSink,
    refuse: Refuse,
    principal: Principal,
    template_id: int,
) -> None:
    async with sessions.begin() as session:
        row = await session.get(TaskTemplate, template_id)
        if row is None:
            raise NotFound("そのテンプレートはありません。", "No such template.")
        shared = _shared(row)
        await _may_manage(principal, row.department, refuse)
        await session.delete(row)
    await audit(_event(principal, EventType.TEMPLATE_DELETED, shared))


def target_use_cases(policies: PolicySet, department: str | None) -> dict[str, str]:
    """The use cases a template for ``department`` may name (None: the company, any
    department's), with their labels."""
    chosen = (
        [policies.for_department(department)]
        if department is not None
        else [policies.default, *policies.by_department.values()]
    )
    found: dict[str, str] = {}
    for policy in chosen:
        for name, case in policy.use_cases.items():
            found.setdefault(name, case.label_ja)
    return found
