"""Quota status for ``GET /api/quota``: the caller's own buckets and their department's; for
admins every department with a policy file too. Read-only; holds in flight are shown apart."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.kernel.principal import Principal, Role
from policies.quota import Ledger
from policies.quota_levels import BucketStatus
from policies.resolve import PolicySet


@dataclass(frozen=True, slots=True)
class QuotaReport:
    department: str
    policy_version: str
    user: list[BucketStatus]  # the caller's own buckets
    department_buckets: list[BucketStatus]
    departments: dict[str, list[BucketStatus]] | None = None  # admins only


async def report(*, ledger: Ledger, policies: PolicySet, principal: Principal) -> QuotaReport:
    policy = policies.for_department(principal.department)
    own = await ledger.status(policy=policy, department=principal.department, user=principal.email)
    everyone = None
    if principal.role is Role.ADMIN:
        names = sorted({*policies.by_department, principal.department})
        everyone = {
            name: await ledger.status(
                policy=policies.for_department(name), department=name, user=None
            )
            for name in names
        }
    return QuotaReport(
        department=principal.department,
        policy_version=policy.version(),
        user=[s for s in own if s.scope == "user"],
        department_buckets=[s for s in own if s.scope == "department"],
        departments=everyone,
    )
