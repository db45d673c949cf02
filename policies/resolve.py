"""Policy resolution: which policy applies to a principal, and what it allows."""

from __future__ import annotations

from dataclasses import dataclass, field

from gateway.errors import ModelNotAllowed
from gateway.principal import Principal
from policies.model import Policy


@dataclass(frozen=True)
class ResolvedPolicy:
    policy: Policy
    version: str


@dataclass
class PolicySet:
    default: Policy
    by_department: dict[str, Policy] = field(default_factory=dict)

    def for_department(self, department: str) -> Policy:
        return self.by_department.get(department, self.default)


def resolve(*, policies: PolicySet, principal: Principal) -> ResolvedPolicy:
    policy = policies.for_department(principal.department)
    return ResolvedPolicy(policy=policy, version=policy.version())


def check_model(*, resolved: ResolvedPolicy, alias: str, department: str) -> None:
    if not resolved.policy.allows_model(alias):
        raise ModelNotAllowed(
            f"モデル {alias} は {department} のポリシーで許可されていません。情報システム部に相談してください。",
            f"Model {alias} is not allowed by the policy of {department}.",
        )
