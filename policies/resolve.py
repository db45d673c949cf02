"""Policy resolution: which policy applies to a principal, and what it allows.

The pipeline's first stage after authentication. Refusals are the gateway's errors with a
message staff can act on; nothing here reads files (``policies.store`` does).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from gateway.kernel.errors import ModelNotAllowed, UnknownModel, UseCaseNotAllowed
from gateway.kernel.principal import Principal
from gateway.kernel.settings import ModelRoute, Settings
from gateway.kernel.vocab import TaskRefusal
from policies.model import DEFAULT_USE_CASE, Policy, UseCase


@dataclass(frozen=True)
class ResolvedPolicy:
    policy: Policy
    version: str


@dataclass
class PolicySet:
    default: Policy
    by_department: dict[str, Policy] = field(default_factory=dict)
    version: str = ""  # content hash of the whole set (policy.loaded audit events)

    def for_department(self, department: str) -> Policy:
        return self.by_department.get(department, self.default)


class PolicySource(Protocol):
    def for_department(self, department: str) -> Policy: ...


def resolve(*, policies: PolicySource, principal: Principal) -> ResolvedPolicy:
    policy = policies.for_department(principal.department)
    return ResolvedPolicy(policy=policy, version=policy.version())


def check_model(*, resolved: ResolvedPolicy, alias: str, department: str) -> None:
    if not resolved.policy.allows_model(alias):
        raise ModelNotAllowed(
            f"モデル {alias} は {department} のポリシーで許可されていません。情報システム部に相談してください。",
            f"Model {alias} is not allowed by the policy of {department}.",
        )


def model_route(
    *, settings: Settings, resolved: ResolvedPolicy, alias: str, department: str
) -> ModelRoute:
    """The configured route of the model a request names, if the policy allows it."""
    route = settings.route(alias)
    if route is None:
        raise UnknownModel(
            f"モデル {alias!r} はありません。/v1/models で使えるモデルを確認してください。",
            f"The model {alias!r} does not exist; GET /v1/models lists yours.",
        )
    check_model(resolved=resolved, alias=alias, department=department)
    return route


def usable_use_cases(
    *, policy: Policy, principal: Principal, today: date | None
) -> dict[str, UseCase]:
    """The tasks ``principal`` may use now: known to the policy, not closed (``until``), and
    for a trial's task, the person among its eligible people. The chat page, the template
    lists and the pipeline's check all ask this, so what is offered is what is allowed."""
    return {
        name: case
        for name, case in policy.use_cases.items()
        if policy.refusal(name, email=principal.email, on=today) is None
    }


class UseCaseRefused(UseCaseNotAllowed):
    """403 use_case_not_allowed, with the task and why (the pipeline puts both in the audit)."""

    def __init__(self, ja: str, en: str, *, use_case: str, reason: TaskRefusal) -> None:
        super().__init__(ja, en)
        self.use_case, self.reason = use_case, reason


def check_use_case(
    *, resolved: ResolvedPolicy, use_case: str | None, principal: Principal, today: date | None
) -> str:
    """The request's use case (``chat`` when it names none), if ``principal`` may use it today
    (local date); else ``UseCaseRefused`` naming the task and, in general, the usable ones."""
    name = (use_case or DEFAULT_USE_CASE).strip()
    policy, department = resolved.policy, principal.department
    reason = policy.refusal(name, email=principal.email, on=today)
    if reason is None:
        return name
    shown = name[:50]
    if reason is TaskRefusal.NOT_ELIGIBLE:
        ja = (
            f"用途 {shown!r} は {department} のトライアルの対象業務で、トライアルの対象者だけが"
            "使えます。あなたは対象者に入っていません。部門管理者に相談してください。"
        )
        en = (
            f"The task {shown!r} belongs to the trial of {department} and is open only to its "
            "eligible people; you are not one of them. Ask your department manager."
        )
        raise UseCaseRefused(ja, en, use_case=shown, reason=reason)
    usable = usable_use_cases(policy=policy, principal=principal, today=today)
    allowed = ", ".join(sorted(usable)) or "(なし / none)"
    if reason is TaskRefusal.CLOSED:
        until = policy.use_cases[name].until
        ja = f"用途 {shown!r} は {until} で利用を終了しました (トライアル終了)。使える用途: {allowed}"
        en = f"The task {shown!r} closed after {until} (trial ended); allowed: {allowed}."
        raise UseCaseRefused(ja, en, use_case=shown, reason=reason)
    raise UseCaseRefused(
        f"用途 {shown!r} は {department} のポリシーで許可されていません。使える用途: {allowed}",
        f"Use case {shown!r} is not allowed by the policy of {department}; allowed: {allowed}.",
        use_case=shown,
        reason=reason,
    )
