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
from policies.model import DEFAULT_USE_CASE, Policy


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


def check_use_case(
    *, resolved: ResolvedPolicy, use_case: str | None, department: str, today: date | None = None
) -> str:
    """The request's use case (``chat`` when it names none), if the policy allows it
    (``today``: local date, for use cases closed after a stopped trial's end)."""
    name = (use_case or DEFAULT_USE_CASE).strip()
    if resolved.policy.allows_use_case(name, on=today):
        return name
    allowed = ", ".join(sorted(resolved.policy.use_cases)) or "(なし / none)"
    raise UseCaseNotAllowed(
        f"用途 {name[:50]!r} は {department} のポリシーで許可されていません。使える用途: {allowed}",
        f"Use case {name[:50]!r} is not allowed by the policy of {department}; allowed: {allowed}.",
    )
